// Containers in pods: record, spec (joined to the pause container's namespaces), FIFOs for stdio
// copied into the CRI log, a task started on StartContainer and watched until it exits.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { failedPrecondition, invalidArgument, notFound } from '../../api/errdefs.js';
import {
  ContainerConfig,
  ContainerState,
  type LinuxContainerResources,
} from '../../api/gen/runtime/v1/api.js';
import { CRI_NS, type CriImages } from './images.js';
import { ContainerLog, makeFifo } from './logs.js';
import type { Pods } from './pods.js';
import type { RecordDir } from './records.js';
import { containerSpec, resourcesOf } from './spec.js';
import type { Tasking } from './tasking.js';

export interface ContainerRecord {
  id: string;
  podId: string;
  config: unknown;
  imageRef: string;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  state: 'created' | 'running' | 'exited';
  reason: string;
  logPath: string;
  ioDir: string;
  resources?: unknown;
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
};

/** log_path joined under the pod's log_directory; anything escaping it is refused. */
export function confinedLogPath(dir: string, rel: string): string {
  if (!rel) return '';
  if (!dir) throw invalidArgument('log_path is set but the pod has no log_directory');
  if (path.isAbsolute(rel))
    throw invalidArgument(`log_path "${rel}" must be relative to the pod's log_directory`);
  const full = path.resolve(dir, rel);
  if (!full.startsWith(path.resolve(dir) + path.sep))
    throw invalidArgument(`log_path "${rel}" leaves the pod's log_directory`);
  return full;
}

export class Containers {
  private readonly recs = new Map<string, ContainerRecord>();
  private readonly logs = new Map<string, ContainerLog>();
  /** The exit handling of each watched container (record written, task deleted, log drained). */
  private readonly exits = new Map<string, Promise<void>>();

  constructor(
    private readonly ioRoot: string,
    private readonly records: RecordDir<ContainerRecord>,
    private readonly pods: Pods,
    private readonly images: CriImages,
    private readonly t: Tasking,
    private readonly restrictOom: boolean,
    private readonly disableApparmor: boolean,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    await this.records.init();
    for (const r of await this.records.all()) this.recs.set(r.id, r);
  }

  resolveId(idOrPrefix: string): string {
    if (!idOrPrefix) throw invalidArgument('container id must not be empty');
    if (this.recs.has(idOrPrefix)) return idOrPrefix;
    const hits = [...this.recs.keys()].filter((k) => k.startsWith(idOrPrefix));
    if (hits.length !== 1) throw notFound(`container "${idOrPrefix}" not found`);
    return hits[0];
  }

  get(id: string): ContainerRecord {
    return this.recs.get(this.resolveId(id))!;
  }

  list(): ContainerRecord[] {
    return [...this.recs.values()];
  }

  configOf(r: ContainerRecord): ContainerConfig {
    return ContainerConfig.fromJSON(r.config);
  }

  async create(podId: string, config: ContainerConfig): Promise<string> {
    const pod = await this.pods.get(podId);
    if (!config.metadata?.name) throw invalidArgument('container config: metadata name is required');
    if (!config.image?.image) throw invalidArgument('container config: image is required');
    if (pod.rec.stopped || !pod.rec.pid) throw failedPrecondition(`pod sandbox ${pod.rec.id} is not ready`);
    if (config.windows) throw invalidArgument('container config: windows settings on a Linux runtime');
    const img = await this.images.find(config.image.image);
    if (!img) throw notFound(`image "${config.image.image}" not found`);
    const logPath = confinedLogPath(pod.config.logDirectory, config.logPath);
    const id = randomBytes(32).toString('hex');
    const ns = config.linux?.securityContext?.namespaceOptions;
    let targetPid: number | undefined;
    if (ns?.targetId) targetPid = (await this.t.running(this.resolveId(ns.targetId)))?.pid;
    const spec = containerSpec({
      id,
      sandbox: this.pods.ref(pod.rec),
      image: img.config,
      config,
      restrictOom: this.restrictOom,
      disableApparmor: this.disableApparmor,
      targetPid,
    });
    const ioDir = path.join(this.ioRoot, id);
    await fs.mkdir(ioDir, { recursive: true, mode: 0o700 });
    for (const n of ['stdout', 'stderr', ...(config.stdin ? ['stdin'] : [])])
      await makeFifo(path.join(ioDir, n));
    const rec: ContainerRecord = {
      id,
      podId: pod.rec.id,
      config: ContainerConfig.toJSON(config),
      imageRef: img.id,
      createdAt: Date.now() * 1e6,
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      state: 'created',
      reason: '',
      logPath,
      ioDir,
    };
    const labels = {
      'io.cri-containerd.kind': 'container',
      'io.kubernetes.pod.uid': pod.config.metadata?.uid ?? '',
      ...config.labels,
    };
    await this.t.createContainer(id, img.id, img.diffIds, spec, labels);
    this.recs.set(id, rec);
    try {
      await this.records.put(rec);
    } catch (e) {
      this.recs.delete(id);
      await this.t.destroy(id).catch(() => undefined);
      throw e;
    }
    return id;
  }

  private async followLogs(rec: ContainerRecord, tty: boolean): Promise<void> {
    const l = new ContainerLog(rec.logPath);
    await l.open();
    l.follow(path.join(rec.ioDir, 'stdout'), 'stdout');
    if (!tty) l.follow(path.join(rec.ioDir, 'stderr'), 'stderr');
    this.logs.set(rec.id, l);
  }

  private watch(rec: ContainerRecord): void {
    const done = this.t.wait(rec.id).then(
      async (r) => {
        if (!this.recs.has(rec.id)) return;
        rec.state = 'exited';
        rec.exitCode = r.exitStatus;
        rec.finishedAt = r.exitedAt;
        rec.reason = r.exitStatus === 0 ? 'Completed' : 'Error';
        await this.t
          .deleteTask(rec.id)
          .catch((err: unknown) => this.log.warn({ err, container: rec.id }, 'task delete failed'));
        const l = this.logs.get(rec.id);
        if (l) {
          await Promise.race([l.drained(), new Promise((res) => setTimeout(res, 2000))]);
          await l.close();
          this.logs.delete(rec.id);
        }
        await this.records.put(rec);
      },
      (err: unknown) => this.log.warn({ err, container: rec.id }, 'waiting for container exit failed'),
    );
    this.exits.set(
      rec.id,
      done.finally(() => this.exits.delete(rec.id)),
    );
  }

  /** Waits (bounded) for the exit handling of a container that was just stopped. */
  private async settled(id: string, ms = 10_000): Promise<void> {
    const p = this.exits.get(id);
    if (p) await Promise.race([p, new Promise((r) => setTimeout(r, ms))]);
  }

  async start(id: string): Promise<void> {
    const rec = this.get(id);
    if (rec.state !== 'created') throw failedPrecondition(`container ${rec.id} is ${rec.state}, not created`);
    const pod = await this.pods.get(rec.podId);
    if (pod.rec.stopped) throw failedPrecondition(`pod sandbox ${pod.rec.id} is stopped`);
    const cfg = this.configOf(rec);
    await this.followLogs(rec, cfg.tty);
    const io = {
      stdin: cfg.stdin ? path.join(rec.ioDir, 'stdin') : '',
      stdout: path.join(rec.ioDir, 'stdout'),
      stderr: cfg.tty ? '' : path.join(rec.ioDir, 'stderr'),
      terminal: cfg.tty,
    };
    try {
      await this.t.start(rec.id, io);
    } catch (e) {
      rec.state = 'exited';
      rec.exitCode = 128;
      rec.reason = 'StartError';
      rec.finishedAt = Date.now() * 1e6;
      await this.logs.get(rec.id)?.close();
      this.logs.delete(rec.id);
      await this.records.put(rec);
      throw e;
    }
    rec.state = 'running';
    rec.startedAt = Date.now() * 1e6;
    await this.records.put(rec);
    this.watch(rec);
  }

  async stop(id: string, timeoutSec: number): Promise<void> {
    const rec = this.get(id);
    if (rec.state !== 'running') return;
    const img = await this.images.find(rec.imageRef);
    const sig = SIGNALS[(img?.config.config?.StopSignal ?? 'SIGTERM').toUpperCase()] ?? 15;
    await this.t.stop(rec.id, sig, Math.max(0, timeoutSec) * 1000);
    await this.settled(rec.id);
  }

  async remove(id: string): Promise<void> {
    let rec: ContainerRecord;
    try {
      rec = this.get(id);
    } catch {
      return; // idempotent
    }
    if (rec.state === 'running') await this.stop(rec.id, 0);
    await this.settled(rec.id);
    await this.logs.get(rec.id)?.close();
    this.logs.delete(rec.id);
    await this.t.destroy(rec.id);
    await fs.rm(rec.ioDir, { recursive: true, force: true });
    this.recs.delete(rec.id);
    await this.records.remove(rec.id);
  }

  async update(id: string, r: LinuxContainerResources | undefined): Promise<void> {
    const rec = this.get(id);
    if (!r) return;
    const res = resourcesOf(r, this.restrictOom);
    const spec = await this.t.spec(rec.id);
    spec.linux.resources = { ...(spec.linux.resources ?? {}), ...res.resources };
    await this.t.updateSpec(rec.id, spec);
    if (rec.state === 'running') {
      await this.t.tasks.update(
        CRI_NS,
        rec.id,
        {
          typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources',
          value: Buffer.from(JSON.stringify(spec.linux.resources)),
        },
        {},
      );
    }
    rec.resources = r;
    await this.records.put(rec);
  }

  /** The running container's output copier (attach listens to it). */
  output(id: string): ContainerLog | undefined {
    return this.logs.get(id);
  }

  async reopenLog(id: string): Promise<void> {
    const rec = this.get(id);
    if (rec.state !== 'running') throw failedPrecondition(`container ${rec.id} is not running`);
    await this.logs.get(rec.id)?.reopen();
  }

  stateOf(r: ContainerRecord): ContainerState {
    return r.state === 'created'
      ? ContainerState.CONTAINER_CREATED
      : r.state === 'running'
        ? ContainerState.CONTAINER_RUNNING
        : ContainerState.CONTAINER_EXITED;
  }

  /** At start: running containers are watched again (their logs reopened); ones that died while we were away get their exit. */
  async recover(): Promise<void> {
    for (const rec of this.recs.values()) {
      if (rec.state !== 'running') continue;
      if (this.t.tasks.has(CRI_NS, rec.id)) {
        await this.followLogs(rec, this.configOf(rec).tty).catch((err: unknown) =>
          this.log.warn({ err, container: rec.id }, 'log reopen failed'),
        );
        this.watch(rec);
      } else {
        rec.state = 'exited';
        rec.exitCode = 255;
        rec.reason = 'Unknown';
        rec.finishedAt = Date.now() * 1e6;
        await this.records.put(rec);
      }
    }
  }
}
