// Pod sandboxes: a pinned network namespace set up by the CNI plugins, the pod's hostname, hosts and
// resolv.conf files, and the pause container holding the pod's IPC/UTS/PID namespaces. The CNI
// attachment (conflist used, ADD result) is in the pod's record on disk before ADD runs, so DEL can
// always be run, also after a crash; DEL runs before the namespace is unpinned.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { invalidArgument, notFound } from '../../api/errdefs.js';
import { NamespaceMode, PodSandboxConfig, PodSandboxState, Protocol } from '../../api/gen/runtime/v1/api.js';
import { MNT_DETACH, mountSyscall, umount } from '../../pkg/sys/mount.js';
import { createNetns, removeNetns } from '../../pkg/sys/netns-file.js';
import { type CachedAttachment, type Cni, type PortMapping, addressesOf } from './cni.js';
import type { CriConfig } from './config.js';
import type { CriImages } from './images.js';
import type { RecordDir } from './records.js';
import { type SandboxRef, apparmorFor, checkSysctls, sandboxSpec } from './spec.js';
import type { Tasking } from './tasking.js';

export interface PodRecord {
  id: string;
  config: unknown;
  createdAt: number;
  netnsPath: string;
  hostNetwork: boolean;
  hostPid: boolean;
  hostIpc: boolean;
  ips: string[];
  pid: number;
  cni?: CachedAttachment;
  stopped: boolean;
  dir: string;
}

export interface Pod {
  rec: PodRecord;
  config: PodSandboxConfig;
  state: PodSandboxState;
}

const validName = (s: string) => /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,252})$/.test(s);

export class Pods {
  private readonly pods = new Map<string, PodRecord>();

  constructor(
    private readonly cfg: CriConfig,
    private readonly dir: string,
    private readonly netnsDir: string,
    private readonly records: RecordDir<PodRecord>,
    private readonly images: CriImages,
    private readonly cni: Cni,
    private readonly t: Tasking,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    await this.records.init();
    await fs.mkdir(this.netnsDir, { recursive: true, mode: 0o711 });
    for (const r of await this.records.all()) this.pods.set(r.id, r);
  }

  /** Full id or unique prefix. */
  resolveId(idOrPrefix: string): string {
    if (!idOrPrefix) throw invalidArgument('pod sandbox id must not be empty');
    if (this.pods.has(idOrPrefix)) return idOrPrefix;
    const hits = [...this.pods.keys()].filter((k) => k.startsWith(idOrPrefix));
    if (hits.length !== 1) throw notFound(`pod sandbox "${idOrPrefix}" not found`);
    return hits[0];
  }

  record(id: string): PodRecord {
    const r = this.pods.get(this.resolveId(id));
    if (!r) throw notFound(`pod sandbox "${id}" not found`);
    return r;
  }

  async get(id: string): Promise<Pod> {
    const rec = this.record(id);
    const running = !rec.stopped && (await this.t.running(rec.id));
    return {
      rec,
      config: PodSandboxConfig.fromJSON(rec.config),
      state: running ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY,
    };
  }

  async list(): Promise<Pod[]> {
    return Promise.all([...this.pods.keys()].map((id) => this.get(id)));
  }

  ref(p: PodRecord): SandboxRef {
    const config = PodSandboxConfig.fromJSON(p.config);
    return {
      id: p.id,
      pid: p.pid,
      netnsPath: p.netnsPath,
      hostNetwork: p.hostNetwork,
      hostPid: p.hostPid,
      hostIpc: p.hostIpc,
      cgroupParent: config.linux?.cgroupParent ?? '',
      hostname: config.hostname,
      files: {
        shm: path.join(p.dir, 'shm'),
        hostname: path.join(p.dir, 'hostname'),
        hosts: path.join(p.dir, 'hosts'),
        resolvConf: path.join(p.dir, 'resolv.conf'),
      },
    };
  }

  /** /etc/hosts of the pod; rewritten in place (it is bind-mounted) once the pod has its address. */
  private async writeHosts(p: PodRecord, hostname: string): Promise<void> {
    const hosts = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
    if (p.ips[0]) hosts.push(`${p.ips[0]}\t${hostname}`);
    await fs.writeFile(path.join(p.dir, 'hosts'), `${hosts.join('\n')}\n`);
  }

  private async writeFiles(p: PodRecord, c: PodSandboxConfig, hostname: string): Promise<void> {
    await fs.mkdir(p.dir, { recursive: true, mode: 0o755 });
    if (!p.hostIpc) {
      // The pod's /dev/shm: one tmpfs on the host, bound into the pause container and every container.
      await fs.mkdir(path.join(p.dir, 'shm'), { recursive: true });
      mountSyscall(
        { type: 'tmpfs', source: 'shm', options: ['nosuid', 'nodev', 'noexec', 'mode=1777', 'size=65536k'] },
        path.join(p.dir, 'shm'),
      );
    }
    await fs.writeFile(path.join(p.dir, 'hostname'), `${hostname}\n`);
    await this.writeHosts(p, hostname);
    const dns = c.dnsConfig;
    let resolv: string;
    if (dns && (dns.servers.length || dns.searches.length || dns.options.length)) {
      resolv = [
        ...(dns.searches.length ? [`search ${dns.searches.join(' ')}`] : []),
        ...dns.servers.map((s) => `nameserver ${s}`),
        ...(dns.options.length ? [`options ${dns.options.join(' ')}`] : []),
      ].join('\n');
    } else if (p.hostNetwork) {
      resolv = (await fs.readFile('/etc/resolv.conf', 'utf8').catch(() => '')).trimEnd();
    } else resolv = '';
    await fs.writeFile(path.join(p.dir, 'resolv.conf'), resolv ? `${resolv}\n` : '');
  }

  private validate(c: PodSandboxConfig): void {
    const m = c.metadata;
    if (!m || !m.name || !m.namespace || !m.uid)
      throw invalidArgument('pod sandbox config: metadata name, namespace and uid are required');
    if (c.hostname && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$/.test(c.hostname))
      throw invalidArgument(`pod sandbox config: hostname "${c.hostname}" is not valid`);
    if (c.logDirectory && !path.isAbsolute(c.logDirectory))
      throw invalidArgument(`pod sandbox config: log_directory "${c.logDirectory}" must be absolute`);
    for (const p of c.portMappings) {
      if (p.containerPort <= 0 || p.containerPort > 65535 || p.hostPort < 0 || p.hostPort > 65535)
        throw invalidArgument(
          `pod sandbox config: port mapping ${p.hostPort}:${p.containerPort} is out of range`,
        );
    }
    if (c.windows) throw invalidArgument('pod sandbox config: windows settings on a Linux runtime');
    if (!validName(m.name.replace(/[^A-Za-z0-9_.-]/g, '-')))
      throw invalidArgument('pod sandbox config: bad name');
  }

  private async sandboxImage(): Promise<{
    id: string;
    config: import('./images.js').ImageConfigJson;
    diffIds: string[];
  }> {
    let img = await this.images.find(this.cfg.sandboxImage);
    if (!img) {
      await this.images.pull(this.cfg.sandboxImage, undefined);
      img = await this.images.get(this.cfg.sandboxImage);
    }
    return img;
  }

  async run(c: PodSandboxConfig): Promise<string> {
    this.validate(c);
    const so = c.linux?.securityContext;
    const no = so?.namespaceOptions;
    const hostNetwork = no?.network === NamespaceMode.NODE;
    const hostPid = no?.pid === NamespaceMode.NODE;
    const hostIpc = no?.ipc === NamespaceMode.NODE;
    if (
      no &&
      (no.network === NamespaceMode.TARGET ||
        no.ipc === NamespaceMode.TARGET ||
        no.pid === NamespaceMode.TARGET)
    )
      throw invalidArgument('pod sandbox config: namespace mode TARGET is only for containers');
    if (no?.usernsOptions && no.usernsOptions.mode !== NamespaceMode.NODE)
      throw invalidArgument('pod sandbox config: user namespaces are not supported');
    checkSysctls(c.linux?.sysctls ?? {}, hostNetwork, hostIpc);
    if (hostNetwork && c.portMappings.some((p) => p.hostPort > 0 && p.hostPort !== p.containerPort))
      throw invalidArgument(
        'pod sandbox config: with the host network a host port must equal its container port',
      );
    const image = await this.sandboxImage();
    const id = randomBytes(32).toString('hex');
    const rec: PodRecord = {
      id,
      config: PodSandboxConfig.toJSON(c),
      createdAt: Date.now() * 1e6,
      netnsPath: hostNetwork ? '' : path.join(this.netnsDir, `cri-${id.slice(0, 16)}`),
      hostNetwork,
      hostPid,
      hostIpc,
      ips: [],
      pid: 0,
      stopped: false,
      dir: path.join(this.dir, id),
    };
    this.pods.set(id, rec);
    await this.records.put(rec);
    const log = this.log.child({ pod: id });
    const t0 = performance.now();
    const ms: Record<string, number> = {};
    const lap = (k: string) => (ms[k] = Math.round(performance.now() - t0));
    let cniDone: Promise<void> = Promise.resolve();
    let hostname = '';
    try {
      if (!hostNetwork) {
        createNetns(rec.netnsPath);
        const network = await this.cni.network();
        const m = c.metadata!;
        const portMappings: PortMapping[] = c.portMappings
          .filter((p) => p.hostPort > 0)
          .map((p) => ({
            hostPort: p.hostPort,
            containerPort: p.containerPort,
            protocol: p.protocol === Protocol.UDP ? 'udp' : p.protocol === Protocol.SCTP ? 'sctp' : 'tcp',
            ...(p.hostIp ? { hostIP: p.hostIp } : {}),
          }));
        rec.cni = {
          network,
          attachment: {
            id,
            netns: rec.netnsPath,
            ifname: 'eth0',
            args: {
              K8S_POD_NAMESPACE: m.namespace,
              K8S_POD_NAME: m.name,
              K8S_POD_INFRA_CONTAINER_ID: id,
              K8S_POD_UID: m.uid,
            },
            portMappings,
          },
        };
        await this.records.put(rec);
        lap('netns');
        // The pause container only joins the namespace: the plugins configure it meanwhile.
        const cached = rec.cni;
        cniDone = this.cni.add(network, cached.attachment).then(async (result) => {
          cached.result = result;
          rec.ips = addressesOf(result);
          lap('cni');
          await this.records.put(rec);
        });
        cniDone.catch(() => undefined);
      }
      hostname = hostNetwork
        ? (await fs.readFile('/proc/sys/kernel/hostname', 'utf8')).trim()
        : c.hostname || c.metadata!.name;
      await this.writeFiles(rec, c, hostname);
      const spec = sandboxSpec({
        id,
        image: image.config,
        netnsPath: rec.netnsPath,
        hostNetwork,
        hostPid,
        hostIpc,
        hostname,
        files: this.ref(rec).files,
        sysctls: c.linux?.sysctls ?? {},
        cgroupParent: c.linux?.cgroupParent ?? '',
        privileged: so?.privileged ?? false,
        ...(so?.runAsUser ? { runAsUser: so.runAsUser.value } : {}),
        ...(so?.runAsGroup ? { runAsGroup: so.runAsGroup.value } : {}),
        supplementalGroups: so?.supplementalGroups ?? [],
        readonlyRootfs: so?.readonlyRootfs ?? false,
        seccomp: so?.seccomp,
        seccompPath: so?.seccompProfilePath ?? '',
        resources: c.linux?.resources,
        restrictOom: this.cfg.restrictOomScoreAdj,
      });
      const aa = apparmorFor(so?.apparmor, '', so?.privileged ?? false, this.cfg.disableApparmor);
      if (aa) spec.process.apparmorProfile = aa;
      const labels = { 'io.cri-containerd.kind': 'sandbox', ...c.labels };
      lap('spec');
      await this.t.createContainer(id, image.id, image.diffIds, spec, labels);
      lap('container');
      rec.pid = await this.t.start(id, { stdin: '', stdout: '', stderr: '', terminal: false });
      lap('task');
      await cniDone;
      await this.writeHosts(rec, hostname);
      await this.records.put(rec);
      log.info({ ip: rec.ips[0], ms }, 'pod sandbox running');
      return id;
    } catch (e) {
      await cniDone.catch(() => undefined); // DEL only once ADD has finished
      log.warn({ err: e }, 'pod sandbox failed; undoing');
      await this.teardown(rec).catch((err: unknown) => log.error({ err }, 'pod sandbox cleanup failed'));
      await this.t.destroy(id).catch(() => undefined);
      umount(path.join(rec.dir, 'shm'), MNT_DETACH);
      await fs.rm(rec.dir, { recursive: true, force: true });
      this.pods.delete(id);
      await this.records.remove(id);
      throw e;
    }
  }

  /** Pause task gone, CNI DEL (namespace still pinned), then the namespace unpinned. Idempotent. */
  private async teardown(rec: PodRecord): Promise<void> {
    await this.t.stop(rec.id, 9, 0);
    await this.t.deleteTask(rec.id);
    if (rec.cni) {
      await this.cni.del(rec.cni);
      rec.cni = undefined;
      await this.records.put(rec);
    }
    if (rec.netnsPath) removeNetns(rec.netnsPath);
  }

  /** Stops the pause container and the pod's network; its containers are stopped by the caller first. */
  async stop(id: string): Promise<void> {
    const rec = this.record(id);
    await this.teardown(rec);
    rec.stopped = true;
    await this.records.put(rec);
  }

  async remove(id: string): Promise<void> {
    let rec: PodRecord;
    try {
      rec = this.record(id);
    } catch {
      return; // RemovePodSandbox is idempotent
    }
    await this.teardown(rec);
    await this.t.destroy(rec.id);
    umount(path.join(rec.dir, 'shm'), MNT_DETACH);
    await fs.rm(rec.dir, { recursive: true, force: true });
    this.pods.delete(rec.id);
    await this.records.remove(rec.id);
  }

  /** At start: a pod whose pause container died is NOTREADY; its network is released as a stop would. */
  async recover(): Promise<void> {
    for (const rec of this.pods.values()) {
      if (rec.stopped) continue;
      if (await this.t.running(rec.id)) continue;
      this.log.warn({ pod: rec.id }, 'pause container gone after restart: pod not ready');
      try {
        await this.teardown(rec);
      } catch (err) {
        this.log.error({ err, pod: rec.id }, 'releasing a dead pod failed');
      }
    }
  }
}
