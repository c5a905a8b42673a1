// The security part of a Docker container's OCI spec, as dockerd 20.10 makes it: the seccomp filter
// (Docker's default profile unless unconfined or privileged), no_new_privs only when asked, the masked
// and read-only paths (HostConfig.MaskedPaths / ReadonlyPaths replace the defaults), `--device` nodes and
// their cgroup rules, HostConfig.DeviceCgroupRules, and the sysctls (dockerd's defaults for a container
// with its own network namespace, then the body's, namespaced ones only).
import path from 'node:path';
import {
  type LinuxDevice,
  type LinuxDeviceCgroup,
  type Spec,
  type SpecOpt,
  deviceFromPath,
  hostDevices,
} from '../../client/spec/index.js';
import { defaultSeccompProfile, resolveProfile } from '../../pkg/seccomp/index.js';
import { InvalidParameter } from '../errdefs/index.js';
import { type SecurityDefaults, parseSecurityOpt } from './security.js';
import type { HostConfig } from './types.js';
import { DEFAULT_READONLY_PATHS } from '../../pkg/oci/defaults.js';

/** Seccomp and no_new_privs; run after the capabilities are final (the profile depends on them). */
export function withDockerSecurity(hc: HostConfig, defaults: SecurityDefaults): SpecOpt {
  const choices = parseSecurityOpt(hc.SecurityOpt, defaults);
  return (spec: Spec): Spec => {
    const s = structuredClone(spec);
    const p = s.process!;
    if (choices.noNewPrivileges) p.noNewPrivileges = true;
    else delete p.noNewPrivileges;
    const linux = (s.linux ??= {});
    delete linux.seccomp;
    if (hc.Privileged || choices.seccomp.kind === 'unconfined') return s;
    const target = { capabilities: p.capabilities?.bounding ?? [] };
    linux.seccomp =
      choices.seccomp.kind === 'custom'
        ? resolveProfile(choices.seccomp.profile, target)
        : defaultSeccompProfile(target);
    return s;
  };
}

/** dockerd's defaults, in its order (containerd's are the same paths). */
export const DOCKER_MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
];
export const DOCKER_READONLY_PATHS: readonly string[] = DEFAULT_READONLY_PATHS;

/** HostConfig.MaskedPaths / ReadonlyPaths, when given (even empty), replace the defaults. */
export function withSystemPaths(hc: HostConfig): SpecOpt {
  return (spec: Spec): Spec => {
    if (hc.Privileged) return spec;
    const linux = { ...spec.linux };
    if (Array.isArray(hc.MaskedPaths)) linux.maskedPaths = [...hc.MaskedPaths];
    if (Array.isArray(hc.ReadonlyPaths)) linux.readonlyPaths = [...hc.ReadonlyPaths];
    return { ...spec, linux };
  };
}

interface DeviceMapping {
  PathOnHost?: string;
  PathInContainer?: string;
  CgroupPermissions?: string;
}

const RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** One `--device-cgroup-rule` (`c 7:128 rwm`) as an OCI device rule. */
export function parseDeviceCgroupRule(text: string): LinuxDeviceCgroup {
  const m = RULE.exec(typeof text === 'string' ? text : '');
  if (!m) throw new InvalidParameter(`invalid device cgroup format '${String(text)}'`);
  const num = (v: string) => (v === '*' ? undefined : Number(v));
  const rule: LinuxDeviceCgroup = { allow: true, type: m[1], access: m[4] };
  const major = num(m[2]);
  const minor = num(m[3]);
  if (major !== undefined) rule.major = major;
  if (minor !== undefined) rule.minor = minor;
  return rule;
}

function checkPermissions(perm: string, text: string): void {
  if (!/^[rwm]{1,3}$/.test(perm)) throw new InvalidParameter(`invalid device mode: ${perm} (${text})`);
}

/** `--device`: the host's node(s) at PathOnHost, created at PathInContainer, with their cgroup rule. */
async function mappedDevices(
  d: DeviceMapping,
): Promise<{ nodes: LinuxDevice[]; rules: LinuxDeviceCgroup[] }> {
  const host = d.PathOnHost ?? '';
  const perm = d.CgroupPermissions || 'rwm';
  checkPermissions(perm, host);
  if (!host.startsWith('/')) throw new InvalidParameter(`invalid device path on host: "${host}"`);
  const inside = d.PathInContainer || host;
  let devs: LinuxDevice[];
  try {
    const one = await deviceFromPath(host);
    devs = one ? [one] : await hostDevices(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new InvalidParameter(
        `error gathering device information while adding custom device "${host}": no such file or directory`,
      );
    throw err;
  }
  if (devs.length === 0)
    throw new InvalidParameter(
      `error gathering device information while adding custom device "${host}": not a device node`,
    );
  const nodes = devs.map((dev) => ({ ...dev, path: path.posix.join(inside, path.relative(host, dev.path)) }));
  const rules = devs.map((dev) => ({
    allow: true,
    type: dev.type,
    major: dev.major,
    minor: dev.minor,
    access: perm,
  }));
  return { nodes, rules };
}

/** Checks Devices and DeviceCgroupRules before anything is made. */
export function checkDevices(hc: HostConfig): void {
  for (const r of (hc.DeviceCgroupRules as string[] | null | undefined) ?? []) parseDeviceCgroupRule(r);
  for (const d of (hc.Devices as DeviceMapping[] | null | undefined) ?? []) {
    if (typeof d !== 'object' || d === null) throw new InvalidParameter('invalid Devices entry');
    checkPermissions(d.CgroupPermissions || 'rwm', d.PathOnHost ?? '');
  }
}

/** `--device` nodes and rules, then DeviceCgroupRules (a privileged container already has every device). */
export async function withDockerDevices(hc: HostConfig): Promise<SpecOpt> {
  const nodes: LinuxDevice[] = [];
  const rules: LinuxDeviceCgroup[] = [];
  if (!hc.Privileged) {
    for (const d of (hc.Devices as DeviceMapping[] | null | undefined) ?? []) {
      const got = await mappedDevices(d);
      nodes.push(...got.nodes);
      rules.push(...got.rules);
    }
    for (const r of (hc.DeviceCgroupRules as string[] | null | undefined) ?? [])
      rules.push(parseDeviceCgroupRule(r));
  }
  return (spec: Spec): Spec => {
    if (nodes.length === 0 && rules.length === 0) return spec;
    const linux = { ...spec.linux };
    const kept = (linux.devices ?? []).filter((d) => !nodes.some((n) => n.path === d.path));
    linux.devices = [...kept, ...nodes];
    linux.resources = { ...linux.resources, devices: [...(linux.resources?.devices ?? []), ...rules] };
    return { ...spec, linux };
  };
}

/** Sysctls of the IPC namespace (the rest of `kernel.*` belongs to the host). */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** The sysctls Docker (≥ 20.10) sets in a container's own network namespace. */
export const DEFAULT_NET_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.ip_unprivileged_port_start': '0',
  'net.ipv4.ping_group_range': '0 2147483647',
};

/** HostConfig.Sysctls: only namespaced ones, and only when that namespace is the container's own. */
export function checkSysctls(hc: HostConfig): void {
  for (const [k, v] of Object.entries(hc.Sysctls ?? {})) {
    if (typeof v !== 'string') throw new InvalidParameter(`sysctl '${k}': the value must be a string`);
    if (k.startsWith('net.')) {
      if (hc.NetworkMode === 'host')
        throw new InvalidParameter(`sysctl '${k}' is not allowed in host network namespace`);
    } else if (IPC_SYSCTLS.has(k) || k.startsWith('fs.mqueue.')) {
      if (hc.IpcMode === 'host')
        throw new InvalidParameter(`sysctl '${k}' is not allowed in host IPC namespace`);
    } else throw new InvalidParameter(`sysctl '${k}' is not allowed: it is not namespaced`);
  }
}

/** Config.Domainname (as dockerd: the UTS namespace's kernel.domainname), Docker's default network
 * sysctls (own network namespace only), then the body's. */
export function withDockerSysctls(hc: HostConfig, domainname?: string): SpecOpt {
  const own = hc.NetworkMode !== 'host' && !(hc.NetworkMode ?? '').startsWith('container:');
  const sysctl = {
    ...(domainname && hc.UTSMode !== 'host' ? { 'kernel.domainname': domainname } : {}),
    ...(own ? DEFAULT_NET_SYSCTLS : {}),
    ...(hc.Sysctls ?? {}),
  };
  return (spec: Spec): Spec =>
    Object.keys(sysctl).length === 0 ? spec : { ...spec, linux: { ...spec.linux, sysctl } };
}
