// The OCI runtime specs of a pod's containers, built as containerd's CRI builds them: the default
// Linux container, then the image config, then the CRI config (namespaces joined with the pause
// container, security context, resources, mounts). Fields we cannot apply are refused, not ignored.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { invalidArgument } from '../../api/errdefs.js';
import {
  type ContainerConfig,
  type LinuxContainerResources,
  type Mount as CriMount,
  MountPropagation,
  NamespaceMode,
  type SecurityProfile,
  SecurityProfile_ProfileType,
} from '../../api/gen/runtime/v1/api.js';
import { defaultSeccompProfile, parseProfile, resolveProfile } from '../../pkg/seccomp/index.js';
import type { ImageConfigJson } from './images.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, DEFAULT_UNIX_CAPS } from '../../pkg/oci/defaults.js';

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciProcess {
  terminal?: boolean;
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities?: Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', string[]>;
  apparmorProfile?: string;
  rlimits?: Array<{ type: string; hard: number; soft: number }>;
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    resources?: Record<string, unknown>;
    cgroupsPath?: string;
    namespaces: Array<{ type: string; path?: string }>;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    sysctl?: Record<string, string>;
    seccomp?: unknown;
    rootfsPropagation?: string;
  };
}

export const DEFAULT_CAPS = DEFAULT_UNIX_CAPS;

/**
 * Every capability tsctrd itself holds in its bounding set (what a privileged container can get: on a
 * host that is all of them; inside another container, fewer).
 */
function allCaps(): string[] {
  const names = [
    'CHOWN',
    'DAC_OVERRIDE',
    'DAC_READ_SEARCH',
    'FOWNER',
    'FSETID',
    'KILL',
    'SETGID',
    'SETUID',
    'SETPCAP',
    'LINUX_IMMUTABLE',
    'NET_BIND_SERVICE',
    'NET_BROADCAST',
    'NET_ADMIN',
    'NET_RAW',
    'IPC_LOCK',
    'IPC_OWNER',
    'SYS_MODULE',
    'SYS_RAWIO',
    'SYS_CHROOT',
    'SYS_PTRACE',
    'SYS_PACCT',
    'SYS_ADMIN',
    'SYS_BOOT',
    'SYS_NICE',
    'SYS_RESOURCE',
    'SYS_TIME',
    'SYS_TTY_CONFIG',
    'MKNOD',
    'LEASE',
    'AUDIT_WRITE',
    'AUDIT_CONTROL',
    'SETFCAP',
    'MAC_OVERRIDE',
    'MAC_ADMIN',
    'SYSLOG',
    'WAKE_ALARM',
    'BLOCK_SUSPEND',
    'AUDIT_READ',
    'PERFMON',
    'BPF',
    'CHECKPOINT_RESTORE',
  ];
  let bnd = (1n << BigInt(names.length)) - 1n;
  try {
    const hex = /CapBnd:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (hex) bnd = BigInt(`0x${hex}`);
  } catch {
    // keep every name
  }
  return names.filter((_, i) => (bnd >> BigInt(i)) & 1n).map((n) => `CAP_${n}`);
}

const MASKED = [...DEFAULT_MASKED_PATHS];
const READONLY = [...DEFAULT_READONLY_PATHS];

function baseMounts(privileged: boolean): OciMount[] {
  const nne = ['nosuid', 'noexec', 'nodev'];
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: nne },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: nne },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: [...nne, privileged ? 'rw' : 'ro'] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: [...nne, 'relatime', privileged ? 'rw' : 'ro'],
    },
  ];
}

/** Namespaced sysctls a pod may set (the kernel's per-netns/ipc ones). */
export function checkSysctls(s: Record<string, string>, hostNetwork: boolean, hostIpc: boolean): void {
  for (const k of Object.keys(s)) {
    const ipc = /^kernel\.(shm|msg|sem)/.test(k) || k.startsWith('fs.mqueue.');
    const net = k.startsWith('net.');
    if (!ipc && !net) throw invalidArgument(`sysctl "${k}" is not namespaced: refused`);
    if (net && hostNetwork) throw invalidArgument(`sysctl "${k}" cannot be set with the host network`);
    if (ipc && hostIpc) throw invalidArgument(`sysctl "${k}" cannot be set with the host IPC namespace`);
  }
}

export function seccompFor(
  p: SecurityProfile | undefined,
  legacyPath: string,
  caps: string[],
  privileged: boolean,
): unknown {
  if (privileged) return undefined;
  let type: SecurityProfile_ProfileType | 'unset' = p ? p.profileType : 'unset';
  let ref = p?.localhostRef ?? '';
  if (!p && legacyPath) {
    if (legacyPath === 'runtime/default' || legacyPath === 'docker/default')
      type = SecurityProfile_ProfileType.RuntimeDefault;
    else if (legacyPath === 'unconfined') type = SecurityProfile_ProfileType.Unconfined;
    else if (legacyPath.startsWith('localhost/')) {
      type = SecurityProfile_ProfileType.Localhost;
      ref = legacyPath.slice('localhost/'.length);
    } else throw invalidArgument(`seccomp profile "${legacyPath}" is not supported`);
  }
  switch (type) {
    case 'unset':
    case SecurityProfile_ProfileType.Unconfined:
      return undefined;
    case SecurityProfile_ProfileType.RuntimeDefault:
      return defaultSeccompProfile({ capabilities: caps });
    case SecurityProfile_ProfileType.Localhost: {
      if (!path.isAbsolute(ref))
        throw invalidArgument(`seccomp localhost profile "${ref}" must be an absolute path`);
      let text: string;
      try {
        text = readFileSync(ref, 'utf8');
      } catch (e) {
        throw invalidArgument(`seccomp localhost profile ${ref}: ${(e as Error).message}`);
      }
      try {
        return resolveProfile(parseProfile(text), { capabilities: caps });
      } catch (e) {
        throw invalidArgument(`seccomp localhost profile ${ref}: ${(e as Error).message}`);
      }
    }
    default:
      throw invalidArgument(`seccomp profile type ${String(type)} is not supported`);
  }
}

/**
 * The lowest oom_score_adj a container may get: any when tsctrd holds CAP_SYS_RESOURCE and the operator
 * did not restrict it, else tsctrd's own (the kernel refuses lowering it without the capability).
 */
export function oomFloor(restrict: boolean): number {
  const own = Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
  const eff = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  const hasSysResource = (BigInt(`0x${eff}`) >> 24n) & 1n;
  return restrict || !hasSysResource ? own : -1000;
}

export function resourcesOf(
  r: LinuxContainerResources | undefined,
  restrictOom: boolean,
): { resources: Record<string, unknown>; oomScoreAdj?: number } {
  const out: Record<string, unknown> = {};
  if (!r) return { resources: out };
  const cpu: Record<string, unknown> = {};
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.cpuQuota) cpu.quota = r.cpuQuota;
  if (r.cpuPeriod) cpu.period = r.cpuPeriod;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length) out.cpu = cpu;
  const mem: Record<string, unknown> = {};
  if (r.memoryLimitInBytes < 0 || r.cpuQuota < -1 || r.cpuShares < 0)
    throw invalidArgument('resources must not be negative');
  if (r.memoryLimitInBytes) mem.limit = r.memoryLimitInBytes;
  if (r.memorySwapLimitInBytes) mem.swap = r.memorySwapLimitInBytes;
  if (Object.keys(mem).length) out.memory = mem;
  if (r.hugepageLimits.length)
    out.hugepageLimits = r.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: h.limit }));
  if (Object.keys(r.unified).length) out.unified = { ...r.unified };
  let oom: number | undefined = r.oomScoreAdj || undefined;
  if (oom !== undefined && (oom < -1000 || oom > 1000))
    throw invalidArgument(`oom_score_adj ${oom} is out of range`);
  if (oom !== undefined) oom = Math.max(oom, oomFloor(restrictOom));
  return { resources: out, ...(oom !== undefined ? { oomScoreAdj: oom } : {}) };
}

export interface PodFiles {
  hostname?: string;
  resolvConf?: string;
  hosts?: string;
  shm?: string;
}

function fileMounts(f: PodFiles, readonlyRootfs: boolean): OciMount[] {
  const o = (ro: boolean) => ['rbind', 'rprivate', ro ? 'ro' : 'rw'];
  const out: OciMount[] = [];
  if (f.hostname)
    out.push({ destination: '/etc/hostname', type: 'bind', source: f.hostname, options: o(readonlyRootfs) });
  if (f.hosts)
    out.push({ destination: '/etc/hosts', type: 'bind', source: f.hosts, options: o(readonlyRootfs) });
  if (f.resolvConf)
    out.push({
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: f.resolvConf,
      options: o(readonlyRootfs),
    });
  return out;
}

export function userMounts(mounts: CriMount[]): { mounts: OciMount[]; propagation?: string } {
  let propagation: string | undefined;
  const out = mounts.map((m) => {
    if (!m.containerPath || !path.isAbsolute(m.containerPath))
      throw invalidArgument(`mount container_path "${m.containerPath}" must be absolute`);
    if (!m.hostPath || !path.isAbsolute(m.hostPath))
      throw invalidArgument(`mount host_path "${m.hostPath}" must be absolute`);
    if (m.uidMappings.length || m.gidMappings.length)
      throw invalidArgument('idmapped mounts are not supported');
    const opts = ['rbind', m.readonly ? 'ro' : 'rw'];
    switch (m.propagation) {
      case MountPropagation.PROPAGATION_BIDIRECTIONAL:
        opts.push('rshared');
        propagation = 'rshared';
        break;
      case MountPropagation.PROPAGATION_HOST_TO_CONTAINER:
        opts.push('rslave');
        propagation ??= 'rslave';
        break;
      default:
        opts.push('rprivate');
    }
    // selinux_relabel: no SELinux on this host, nothing to relabel.
    return { destination: m.containerPath, type: 'bind', source: m.hostPath, options: opts };
  });
  return { mounts: out, ...(propagation ? { propagation } : {}) };
}

/** The process the image would run, with the CRI's command/args override rules. */
export function processArgs(img: ImageConfigJson, command: string[], args: string[]): string[] {
  const entry = img.config?.Entrypoint ?? [];
  const cmd = img.config?.Cmd ?? [];
  const out = command.length > 0 ? [...command, ...args] : [...entry, ...(args.length > 0 ? args : cmd)];
  if (out.length === 0)
    throw invalidArgument('no command specified: the image has no entrypoint or cmd and the config none');
  return out;
}

export function mergeEnv(base: string[], extra: Array<{ key: string; value: string }>): string[] {
  const m = new Map<string, string>();
  for (const e of base) {
    const i = e.indexOf('=');
    m.set(i === -1 ? e : e.slice(0, i), i === -1 ? '' : e.slice(i + 1));
  }
  for (const e of extra) m.set(e.key, e.value);
  if (!m.has('PATH')) m.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  return [...m].map(([k, v]) => `${k}=${v}`);
}

export interface SandboxRef {
  id: string;
  pid: number;
  netnsPath: string;
  hostNetwork: boolean;
  hostPid: boolean;
  hostIpc: boolean;
  cgroupParent: string;
  hostname: string;
  files: PodFiles;
}

function nsList(
  sb: SandboxRef,
  pidMode: NamespaceMode,
  targetPid: number | undefined,
): Array<{ type: string; path?: string }> {
  const ns: Array<{ type: string; path?: string }> = [{ type: 'mount' }];
  if (!sb.hostNetwork) ns.push({ type: 'network', path: sb.netnsPath });
  if (!sb.hostIpc) ns.push({ type: 'ipc', path: `/proc/${sb.pid}/ns/ipc` });
  ns.push({ type: 'uts', path: `/proc/${sb.pid}/ns/uts` });
  if (pidMode === NamespaceMode.POD) ns.push({ type: 'pid', path: `/proc/${sb.pid}/ns/pid` });
  else if (pidMode === NamespaceMode.CONTAINER) ns.push({ type: 'pid' });
  else if (pidMode === NamespaceMode.TARGET) {
    if (!targetPid) throw invalidArgument('namespace_options.pid TARGET needs a running target container');
    ns.push({ type: 'pid', path: `/proc/${targetPid}/ns/pid` });
  }
  return ns;
}

function hostHasApparmor(): boolean {
  try {
    return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

/**
 * The AppArmor profile to run under. Without AppArmor on the host (or with disable_apparmor) only
 * "no profile" is possible: RuntimeDefault and unset mean none, a Localhost profile is refused. With
 * AppArmor, a Localhost profile is applied; tsctr ships no default profile, so RuntimeDefault is refused.
 */
export function apparmorFor(
  p: SecurityProfile | undefined,
  legacy: string,
  privileged: boolean,
  disabled: boolean,
): string | undefined {
  let type: SecurityProfile_ProfileType | undefined = p?.profileType;
  let ref = p?.localhostRef ?? '';
  if (!p && legacy) {
    if (legacy === 'runtime/default') type = SecurityProfile_ProfileType.RuntimeDefault;
    else if (legacy === 'unconfined') type = SecurityProfile_ProfileType.Unconfined;
    else if (legacy.startsWith('localhost/')) {
      type = SecurityProfile_ProfileType.Localhost;
      ref = legacy.slice('localhost/'.length);
    } else throw invalidArgument(`apparmor profile "${legacy}" is not supported`);
  }
  if (type === undefined || type === SecurityProfile_ProfileType.Unconfined || privileged) return undefined;
  const available = !disabled && hostHasApparmor();
  if (type === SecurityProfile_ProfileType.Localhost) {
    if (!available)
      throw invalidArgument(
        `apparmor profile "${ref}" requested but AppArmor is not available or is disabled`,
      );
    if (!ref) throw invalidArgument('apparmor Localhost profile needs localhost_ref');
    return ref;
  }
  if (available)
    throw invalidArgument(
      'tsctr has no default AppArmor profile: use a Localhost profile or disable_apparmor',
    );
  return undefined;
}

export interface ContainerSpecInput {
  disableApparmor: boolean;
  id: string;
  sandbox: SandboxRef;
  image: ImageConfigJson;
  config: ContainerConfig;
  restrictOom: boolean;
  targetPid?: number;
}

export function containerSpec(c: ContainerSpecInput): OciSpec {
  const cfg = c.config;
  const sc = cfg.linux?.securityContext;
  const privileged = sc?.privileged ?? false;
  if (cfg.devices.length) throw invalidArgument('devices are not supported');
  if (cfg.CDIDevices.length) throw invalidArgument('CDI devices are not supported');
  if (sc?.runAsUsername) throw invalidArgument('run_as_username is not supported: use run_as_user');
  if (sc?.namespaceOptions?.usernsOptions && sc.namespaceOptions.usernsOptions.mode !== NamespaceMode.NODE)
    throw invalidArgument('user namespaces are not supported');
  let caps = privileged ? allCaps() : [...DEFAULT_CAPS];
  const norm = (n: string) =>
    n.toUpperCase().startsWith('CAP_') ? n.toUpperCase() : `CAP_${n.toUpperCase()}`;
  const known = new Set(allCaps());
  for (const a of sc?.capabilities?.addCapabilities ?? []) {
    if (a.toUpperCase() === 'ALL') caps = allCaps();
    else if (!known.has(norm(a))) throw invalidArgument(`unknown capability "${a}"`);
    else if (!caps.includes(norm(a))) caps.push(norm(a));
  }
  for (const d of sc?.capabilities?.dropCapabilities ?? []) {
    if (d.toUpperCase() === 'ALL') caps = [];
    else caps = caps.filter((x) => x !== norm(d));
  }
  if (sc?.capabilities?.addAmbientCapabilities.length)
    throw invalidArgument('ambient capabilities are not supported');
  const imgUser = (c.image.config?.User ?? '').split(':');
  let uid = 0;
  let gid = 0;
  if (sc?.runAsUser) uid = sc.runAsUser.value;
  else if (/^\d+$/.test(imgUser[0] ?? '')) uid = Number(imgUser[0]);
  else if (imgUser[0]) throw invalidArgument(`image user "${imgUser[0]}" is a name: set run_as_user`);
  if (sc?.runAsGroup) {
    if (!sc.runAsUser && !/^\d+$/.test(imgUser[0] ?? ''))
      throw invalidArgument('run_as_group needs run_as_user');
    gid = sc.runAsGroup.value;
  } else if (/^\d+$/.test(imgUser[1] ?? '')) gid = Number(imgUser[1]);
  if (uid < 0 || gid < 0) throw invalidArgument('run_as_user and run_as_group must not be negative');
  const res = resourcesOf(cfg.linux?.resources, c.restrictOom);
  const readonlyRootfs = sc?.readonlyRootfs ?? false;
  const um = userMounts(cfg.mounts);
  const taken = new Set(um.mounts.map((m) => m.destination));
  const mounts = [
    ...baseMounts(privileged).filter((m) => !taken.has(m.destination)),
    ...(c.sandbox.hostIpc
      ? []
      : [
          {
            destination: '/dev/shm',
            type: 'bind',
            source: c.sandbox.files.shm ?? '/dev/shm',
            options: ['rbind', 'rprivate', 'rw'],
          },
        ]),
    ...fileMounts(c.sandbox.files, false).filter((m) => !taken.has(m.destination)),
    ...um.mounts,
  ];
  const spec: OciSpec = {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: cfg.tty,
      user: { uid, gid, ...(sc?.supplementalGroups.length ? { additionalGids: sc.supplementalGroups } : {}) },
      args: processArgs(c.image, cfg.command, cfg.args),
      env: mergeEnv(c.image.config?.Env ?? [], cfg.envs),
      cwd: cfg.workingDir || c.image.config?.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: privileged ? false : (sc?.noNewPrivs ?? false),
      ...(res.oomScoreAdj !== undefined ? { oomScoreAdj: res.oomScoreAdj } : {}),
    },
    root: { path: 'rootfs', readonly: readonlyRootfs },
    mounts,
    annotations: {
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.sandbox-id': c.sandbox.id,
    },
    linux: {
      resources: { devices: [{ allow: privileged, access: 'rwm' }], ...res.resources },
      cgroupsPath: path.posix.join(c.sandbox.cgroupParent || '/k8s.io', c.id),
      namespaces: nsList(c.sandbox, sc?.namespaceOptions?.pid ?? NamespaceMode.POD, c.targetPid),
      ...(privileged
        ? {}
        : {
            maskedPaths: sc?.maskedPaths.length ? [...sc.maskedPaths] : MASKED,
            readonlyPaths: sc?.readonlyPaths.length ? [...sc.readonlyPaths] : READONLY,
          }),
      ...(um.propagation ? { rootfsPropagation: um.propagation } : {}),
    },
  };
  const seccomp = seccompFor(sc?.seccomp, sc?.seccompProfilePath ?? '', caps, privileged);
  if (seccomp) spec.linux.seccomp = seccomp;
  const aa = apparmorFor(sc?.apparmor, sc?.apparmorProfile ?? '', privileged, c.disableApparmor);
  if (aa) spec.process.apparmorProfile = aa;
  return spec;
}

export interface SandboxSpecInput {
  id: string;
  image: ImageConfigJson;
  netnsPath: string;
  hostNetwork: boolean;
  hostPid: boolean;
  hostIpc: boolean;
  hostname: string;
  files: PodFiles;
  sysctls: Record<string, string>;
  cgroupParent: string;
  privileged: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups: number[];
  readonlyRootfs: boolean;
  seccomp: SecurityProfile | undefined;
  seccompPath: string;
  resources: LinuxContainerResources | undefined;
  restrictOom: boolean;
}

export function sandboxSpec(s: SandboxSpecInput): OciSpec {
  const caps = s.privileged ? allCaps() : [...DEFAULT_CAPS];
  const ns: Array<{ type: string; path?: string }> = [{ type: 'mount' }];
  if (!s.hostNetwork) ns.push({ type: 'network', path: s.netnsPath }, { type: 'uts' });
  if (!s.hostIpc) ns.push({ type: 'ipc' });
  if (!s.hostPid) ns.push({ type: 'pid' });
  const res = resourcesOf(s.resources, s.restrictOom);
  const spec: OciSpec = {
    ociVersion: '1.0.2-dev',
    process: {
      user: {
        uid: s.runAsUser ?? 0,
        gid: s.runAsGroup ?? 0,
        ...(s.supplementalGroups.length ? { additionalGids: s.supplementalGroups } : {}),
      },
      args: processArgs(s.image, [], []),
      env: mergeEnv(s.image.config?.Env ?? [], []),
      cwd: s.image.config?.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: !s.privileged,
      oomScoreAdj: Math.max(-998, oomFloor(s.restrictOom)),
    },
    root: { path: 'rootfs', readonly: true },
    hostname: s.hostNetwork ? undefined : s.hostname,
    mounts: [
      ...baseMounts(s.privileged),
      ...(s.hostIpc
        ? [
            {
              destination: '/dev/shm',
              type: 'bind',
              source: '/dev/shm',
              options: ['rbind', 'rprivate', 'rw'],
            },
          ]
        : [
            {
              destination: '/dev/shm',
              type: 'bind',
              source: s.files.shm ?? '/dev/shm',
              options: ['rbind', 'rprivate', 'rw'],
            },
          ]),
      ...fileMounts(s.files, true),
    ],
    annotations: { 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': s.id },
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }], ...res.resources },
      cgroupsPath: path.posix.join(s.cgroupParent || '/k8s.io', s.id),
      namespaces: ns,
      maskedPaths: MASKED,
      readonlyPaths: READONLY,
      ...(Object.keys(s.sysctls).length ? { sysctl: { ...s.sysctls } } : {}),
    },
  };
  if (s.hostNetwork) delete spec.hostname;
  const seccomp = seccompFor(s.seccomp, s.seccompPath, caps, s.privileged);
  if (seccomp) spec.linux.seccomp = seccomp;
  return spec;
}
