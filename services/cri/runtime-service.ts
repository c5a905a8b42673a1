// runtime.v1.RuntimeService: a thin adapter over Pods, Containers and ExecSync.
import { status as grpcStatus } from '@grpc/grpc-js';
import { failedPrecondition, invalidArgument, notImplemented } from '../../api/errdefs.js';
import {
  type Container,
  type ContainerStats,
  type ContainerStatus,
  type PodSandboxStats,
  type PodSandbox,
  type RuntimeServiceServer,
  ContainerConfig,
  PodSandboxConfig,
} from '../../api/gen/runtime/v1/api.js';
import type { Edge } from '../server/grpc.js';
import type { ContainerRecord, Containers } from './containers.js';
import { execSync } from './exec.js';
import type { Pod, Pods } from './pods.js';
import { CRI_NS } from './images.js';
import { Sampler } from './stats.js';
import { attachHandler, execHandler, portForwardHandler } from './stream/handlers.js';
import type { StreamServer } from './stream/server.js';
import { SNAPSHOTTER, type Tasking } from './tasking.js';

export interface RuntimeInfo {
  version: string;
  ioRoot: string;
  snapshotsDir: string;
  cniReady: () => Promise<string | undefined>;
  config: unknown;
  streams: StreamServer;
}

function streamOptions(r: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }) {
  if (!r.stdin && !r.stdout && !r.stderr) throw invalidArgument('one of stdin, stdout or stderr must be set');
  if (r.tty && r.stderr) throw invalidArgument('tty and stderr cannot both be set');
  return { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, tty: r.tty };
}

const matches = (labels: Record<string, string>, sel: Record<string, string>) =>
  Object.entries(sel).every(([k, v]) => labels[k] === v);

function podView(p: Pod): PodSandbox {
  return {
    id: p.rec.id,
    metadata: p.config.metadata,
    state: p.state,
    createdAt: p.rec.createdAt,
    labels: p.config.labels,
    annotations: p.config.annotations,
    runtimeHandler: '',
  };
}

export function runtimeService(
  edge: Edge,
  pods: Pods,
  ctrs: Containers,
  t: Tasking,
  info: RuntimeInfo,
): RuntimeServiceServer {
  const ctrView = (r: ContainerRecord): Container => {
    const c = ctrs.configOf(r);
    return {
      id: r.id,
      podSandboxId: r.podId,
      metadata: c.metadata,
      image: {
        image: r.imageRef,
        annotations: {},
        userSpecifiedImage: c.image?.image ?? '',
        runtimeHandler: '',
      },
      imageRef: r.imageRef,
      state: ctrs.stateOf(r),
      createdAt: r.createdAt,
      labels: c.labels,
      annotations: c.annotations,
    };
  };
  const ctrStatus = (r: ContainerRecord): ContainerStatus => {
    const c = ctrs.configOf(r);
    return {
      ...ctrView(r),
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      exitCode: r.exitCode,
      image: { image: c.image?.image ?? '', annotations: {}, userSpecifiedImage: '', runtimeHandler: '' },
      reason: r.reason,
      message: '',
      mounts: c.mounts,
      logPath: r.logPath,
    };
  };
  const sampler = new Sampler();
  const ctrStats = async (r: ContainerRecord): Promise<ContainerStats> => {
    const c = ctrs.configOf(r);
    const spec = await t.spec(r.id);
    const s = sampler.sample(r.id, spec.linux.cgroupsPath ?? '');
    const u = await t.snapshots.usage(CRI_NS, SNAPSHOTTER, r.id).catch(() => undefined);
    return {
      attributes: { id: r.id, metadata: c.metadata, labels: c.labels, annotations: c.annotations },
      cpu: s.cpu,
      memory: s.memory,
      ...(u
        ? {
            writableLayer: {
              timestamp: s.cpu.timestamp,
              fsId: { mountpoint: info.snapshotsDir },
              usedBytes: { value: u.size },
              inodesUsed: { value: u.inodes },
            },
          }
        : {}),
    };
  };
  const podStats = async (p: Pod): Promise<PodSandboxStats> => {
    const mine = ctrs.list().filter((c) => c.podId === p.rec.id && c.state === 'running');
    const containers = await Promise.all(mine.map(ctrStats));
    const spec = await t.spec(p.rec.id).catch(() => undefined);
    const pause = sampler.sample(p.rec.id, spec?.linux.cgroupsPath ?? '');
    const sum = (f: (x: ContainerStats) => number | undefined) =>
      containers.reduce((n, x) => n + (f(x) ?? 0), 0);
    const now = pause.cpu.timestamp;
    return {
      attributes: {
        id: p.rec.id,
        metadata: p.config.metadata,
        labels: p.config.labels,
        annotations: p.config.annotations,
      },
      linux: {
        cpu: {
          timestamp: now,
          usageCoreNanoSeconds: {
            value:
              (pause.cpu.usageCoreNanoSeconds?.value ?? 0) + sum((x) => x.cpu?.usageCoreNanoSeconds?.value),
          },
          usageNanoCores: {
            value: (pause.cpu.usageNanoCores?.value ?? 0) + sum((x) => x.cpu?.usageNanoCores?.value),
          },
        },
        memory: {
          timestamp: now,
          workingSetBytes: {
            value: (pause.memory.workingSetBytes?.value ?? 0) + sum((x) => x.memory?.workingSetBytes?.value),
          },
          usageBytes: {
            value: (pause.memory.usageBytes?.value ?? 0) + sum((x) => x.memory?.usageBytes?.value),
          },
          rssBytes: { value: (pause.memory.rssBytes?.value ?? 0) + sum((x) => x.memory?.rssBytes?.value) },
        },
        process: { timestamp: now, processCount: { value: pause.processes } },
        containers,
      },
    };
  };
  const unimplemented = (what: string) => async () => {
    throw notImplemented(`${what} is not implemented by tsctr`);
  };
  return {
    version: edge.unary('Version', async () => ({
      version: '0.1.0',
      runtimeName: 'tsctr',
      runtimeVersion: info.version,
      runtimeApiVersion: 'v1',
    })),
    status: edge.unary('Status', async (req) => {
      const cni = await info.cniReady();
      return {
        status: {
          conditions: [
            { type: 'RuntimeReady', status: true, reason: '', message: '' },
            {
              type: 'NetworkReady',
              status: !cni,
              reason: cni ? 'NetworkPluginNotReady' : '',
              message: cni ?? '',
            },
          ],
        },
        info: (req.verbose ? { config: JSON.stringify(info.config) } : {}) as Record<string, string>,
      };
    }),
    runPodSandbox: edge.unary('RunPodSandbox', async (req) => ({
      podSandboxId: await pods.run(req.config ?? PodSandboxConfig.fromPartial({})),
    })),
    stopPodSandbox: edge.unary('StopPodSandbox', async (req) => {
      const id = pods.resolveId(req.podSandboxId);
      for (const c of ctrs.list().filter((x) => x.podId === id)) await ctrs.stop(c.id, 0);
      await pods.stop(id);
      return {};
    }),
    removePodSandbox: edge.unary('RemovePodSandbox', async (req) => {
      let id: string;
      try {
        id = pods.resolveId(req.podSandboxId);
      } catch {
        return {};
      }
      for (const c of ctrs.list().filter((x) => x.podId === id)) await ctrs.remove(c.id);
      await pods.remove(id);
      return {};
    }),
    podSandboxStatus: edge.unary('PodSandboxStatus', async (req) => {
      const p = await pods.get(req.podSandboxId);
      const [ip, ...more] = p.rec.ips;
      return {
        status: {
          ...podView(p),
          network: { ip: ip ?? '', additionalIps: more.map((x) => ({ ip: x })) },
          linux: {
            namespaces: {
              options: p.config.linux?.securityContext?.namespaceOptions,
            },
          },
        },
        info: (req.verbose
          ? {
              info: JSON.stringify({
                pid: p.rec.pid,
                netns: p.rec.netnsPath,
                cni: p.rec.cni?.result ?? null,
              }),
            }
          : {}) as Record<string, string>,
        containersStatuses: [],
        timestamp: Date.now() * 1e6,
      };
    }),
    listPodSandbox: edge.unary('ListPodSandbox', async (req) => {
      const f = req.filter;
      let all = await pods.list();
      if (f?.id) all = all.filter((p) => p.rec.id.startsWith(f.id));
      if (f?.state) all = all.filter((p) => p.state === f.state!.state);
      if (f?.labelSelector) all = all.filter((p) => matches(p.config.labels, f.labelSelector));
      return { items: all.map(podView) };
    }),
    createContainer: edge.unary('CreateContainer', async (req) => ({
      containerId: await ctrs.create(req.podSandboxId, req.config ?? ContainerConfig.fromPartial({})),
    })),
    startContainer: edge.unary('StartContainer', async (req) => {
      await ctrs.start(req.containerId);
      return {};
    }),
    stopContainer: edge.unary('StopContainer', async (req) => {
      await ctrs.stop(req.containerId, req.timeout);
      return {};
    }),
    removeContainer: edge.unary('RemoveContainer', async (req) => {
      await ctrs.remove(req.containerId);
      return {};
    }),
    listContainers: edge.unary('ListContainers', async (req) => {
      const f = req.filter;
      let all = ctrs.list();
      if (f?.id) all = all.filter((c) => c.id.startsWith(f.id));
      if (f?.podSandboxId) all = all.filter((c) => c.podId.startsWith(f.podSandboxId));
      if (f?.state) all = all.filter((c) => ctrs.stateOf(c) === f.state!.state);
      if (f?.labelSelector) all = all.filter((c) => matches(ctrs.configOf(c).labels, f.labelSelector));
      return { containers: all.map(ctrView) };
    }),
    containerStatus: edge.unary('ContainerStatus', async (req) => {
      const r = ctrs.get(req.containerId);
      return {
        status: ctrStatus(r),
        info: (req.verbose
          ? {
              info: JSON.stringify({
                pid: (await t.running(r.id))?.pid ?? 0,
                sandboxID: r.podId,
                config: r.config,
              }),
            }
          : {}) as Record<string, string>,
      };
    }),
    updateContainerResources: edge.unary('UpdateContainerResources', async (req) => {
      await ctrs.update(req.containerId, req.linux);
      return {};
    }),
    reopenContainerLog: edge.unary('ReopenContainerLog', async (req) => {
      await ctrs.reopenLog(req.containerId);
      return {};
    }),
    execSync: edge.unary('ExecSync', async (req) => {
      const r = ctrs.get(req.containerId);
      if (r.state !== 'running') throw failedPrecondition(`container ${r.id} is not running`);
      return execSync(t, r.ioDir, r.id, req.cmd, req.timeout);
    }),
    exec: edge.unary('Exec', async (req) => {
      const r = ctrs.get(req.containerId);
      if (req.cmd.length === 0) throw invalidArgument('Exec: cmd must not be empty');
      const o = streamOptions(req);
      if (!(await t.running(r.id))) throw failedPrecondition(`container ${r.id} is not running`);
      return { url: info.streams.register('exec', execHandler(t, info.ioRoot, r.id, req.cmd, o)) };
    }),
    attach: edge.unary('Attach', async (req) => {
      const r = ctrs.get(req.containerId);
      const o = streamOptions({ ...req, stderr: req.stderr && !req.tty });
      if (r.state !== 'running') throw failedPrecondition(`container ${r.id} is not running`);
      return { url: info.streams.register('attach', attachHandler(t, ctrs, r.id, o)) };
    }),
    portForward: edge.unary('PortForward', async (req) => {
      const p = await pods.get(req.podSandboxId);
      if (p.state !== 0) throw failedPrecondition(`pod sandbox ${p.rec.id} is not ready`);
      for (const port of req.port)
        if (port <= 0 || port > 65535) throw invalidArgument(`port ${port} is out of range`);
      return { url: info.streams.register('portforward', portForwardHandler(p.rec.netnsPath, req.port)) };
    }),
    containerStats: edge.unary('ContainerStats', async (req) => ({
      stats: await ctrStats(ctrs.get(req.containerId)),
    })),
    listContainerStats: edge.unary('ListContainerStats', async (req) => {
      const f = req.filter;
      let all = ctrs.list().filter((c) => c.state === 'running');
      if (f?.id) all = all.filter((c) => c.id.startsWith(f.id));
      if (f?.podSandboxId) all = all.filter((c) => c.podId.startsWith(f.podSandboxId));
      if (f?.labelSelector) all = all.filter((c) => matches(ctrs.configOf(c).labels, f.labelSelector));
      return { stats: await Promise.all(all.map(ctrStats)) };
    }),
    podSandboxStats: edge.unary('PodSandboxStats', async (req) => ({
      stats: await podStats(await pods.get(req.podSandboxId)),
    })),
    listPodSandboxStats: edge.unary('ListPodSandboxStats', async (req) => {
      const f = req.filter;
      let all = (await pods.list()).filter((p) => p.state === 0);
      if (f?.id) all = all.filter((p) => p.rec.id.startsWith(f.id));
      if (f?.labelSelector) all = all.filter((p) => matches(p.config.labels, f.labelSelector));
      return { stats: await Promise.all(all.map(podStats)) };
    }),
    updateRuntimeConfig: edge.unary('UpdateRuntimeConfig', async () => ({})),
    checkpointContainer: edge.unary('CheckpointContainer', unimplemented('CheckpointContainer')),
    getContainerEvents: (call) =>
      call.emit('error', {
        code: grpcStatus.UNIMPLEMENTED,
        details: 'GetContainerEvents is not implemented by tsctr',
      }),
    listMetricDescriptors: edge.unary('ListMetricDescriptors', async () => ({ descriptors: [] })),
    listPodSandboxMetrics: edge.unary('ListPodSandboxMetrics', async () => ({ podMetrics: [] })),
    runtimeConfig: edge.unary('RuntimeConfig', async () => ({ linux: { cgroupDriver: 1 } })),
  };
}
