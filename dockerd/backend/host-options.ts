// The HostConfig and Config fields of a create body that are not resources or security: namespace
// modes, cgroup parent, and the fields this daemon cannot apply on Linux, refused with a clear 400
// (dockerd's text where it has one) instead of being accepted and ignored.
import path from 'node:path';
import type { Spec, SpecOpt } from '../../client/spec/index.js';
import { InvalidParameter, NotFound } from '../errdefs/index.js';
import type { ContainerConfig, HostConfig } from './types.js';

/** The rlimits `--ulimit` knows (RLIMIT_<NAME>). */
const ULIMITS = new Set([
  'as',
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);

const isSet = (v: unknown): boolean =>
  v !== undefined &&
  v !== null &&
  v !== 0 &&
  v !== '' &&
  v !== false &&
  !(Array.isArray(v) && v.length === 0) &&
  !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

/** Checks the namespace modes and refuses what cannot be applied. `exists` tells whether a container ref exists. */
export function checkHostOptions(
  cfg: ContainerConfig,
  hc: HostConfig,
  exists: (ref: string) => boolean,
): void {
  const ipc = hc.IpcMode ?? '';
  if (!['', 'private', 'shareable', 'host', 'none'].includes(ipc) && !ipc.startsWith('container:'))
    throw new InvalidParameter(`invalid IPC mode: ${ipc}`);
  const pid = hc.PidMode ?? '';
  if (!['', 'host'].includes(pid) && !pid.startsWith('container:'))
    throw new InvalidParameter(`invalid PID mode: ${pid}`);
  for (const mode of [ipc, pid]) {
    if (!mode.startsWith('container:')) continue;
    const ref = mode.slice('container:'.length);
    if (!ref) throw new InvalidParameter(`invalid mode: ${mode}`);
    if (!exists(ref)) throw new NotFound(`No such container: ${ref}`);
  }
  if (!['', 'host'].includes(hc.UTSMode ?? '')) throw new InvalidParameter(`invalid UTS mode: ${hc.UTSMode}`);
  if (!['', 'host'].includes(hc.UsernsMode ?? ''))
    throw new InvalidParameter(
      `invalid USER mode: ${hc.UsernsMode} (user namespace remapping is not enabled on this daemon)`,
    );
  if (!['', 'host', 'private'].includes(hc.CgroupnsMode ?? ''))
    throw new InvalidParameter(`invalid cgroup namespace mode: ${hc.CgroupnsMode}`);
  if (isSet(hc.Cgroup))
    throw new InvalidParameter(
      `Cgroup "${String(hc.Cgroup)}": joining another container's cgroup is not supported`,
    );
  if (!['', 'default'].includes(hc.Isolation ?? ''))
    throw new InvalidParameter(`Invalid isolation: "${hc.Isolation}" - linux only supports 'default'`);
  const driver = hc.VolumeDriver ?? '';
  if (driver !== '' && driver !== 'local')
    throw new NotFound(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
  if (isSet(hc.StorageOpt))
    throw new InvalidParameter(
      "--storage-opt is supported only for overlay over xfs with 'pquota' mount option",
    );
  if (isSet(hc.DeviceRequests))
    throw new InvalidParameter('could not select device driver "" with capabilities: [[gpu]]');
  for (const k of ['CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth'])
    if (isSet(hc[k])) throw new InvalidParameter(`${k} is only supported on Windows`);
  const parent = hc.CgroupParent ?? '';
  if (parent && (path.posix.normalize(`/${parent}`).split('/').includes('..') || /[\0\n]/.test(parent)))
    throw new InvalidParameter(`invalid CgroupParent: ${parent}`);
  const adj = hc.OomScoreAdj ?? 0;
  if (typeof adj !== 'number' || adj < -1000 || adj > 1000)
    throw new InvalidParameter(`Invalid value ${String(adj)}, range for oom score adj is [-1000, 1000]`);
  if (typeof hc.ShmSize === 'number' && hc.ShmSize < 0)
    throw new InvalidParameter('SHM size can not be less than 0');
  for (const u of hc.Ulimits ?? []) {
    if (!u || typeof u.Name !== 'string' || !ULIMITS.has(u.Name.toLowerCase()))
      throw new InvalidParameter(`invalid ulimit type: ${String(u?.Name)}`);
    if (typeof u.Soft !== 'number' || typeof u.Hard !== 'number')
      throw new InvalidParameter(`invalid ulimit ${u.Name}: Soft and Hard must be numbers`);
    if (u.Hard !== -1 && (u.Soft === -1 || u.Soft > u.Hard))
      throw new InvalidParameter(
        `ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`,
      );
  }
  if (cfg.NetworkDisabled === true)
    throw new InvalidParameter('NetworkDisabled is not supported: use HostConfig.NetworkMode "none"');
}

/** cgroup parent, a private cgroup namespace, and `--ipc none` (no /dev/shm). */
export function withHostOptions(hc: HostConfig, id: string): SpecOpt {
  return (spec: Spec): Spec => {
    const linux = { ...spec.linux };
    if (hc.CgroupParent) linux.cgroupsPath = path.posix.join('/', hc.CgroupParent, id);
    if (hc.CgroupnsMode === 'private' && !(linux.namespaces ?? []).some((n) => n.type === 'cgroup'))
      linux.namespaces = [...(linux.namespaces ?? []), { type: 'cgroup' }];
    const mounts =
      hc.IpcMode === 'none' ? (spec.mounts ?? []).filter((m) => m.destination !== '/dev/shm') : spec.mounts;
    return { ...spec, linux, mounts };
  };
}
