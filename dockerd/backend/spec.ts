// The OCI spec of a Docker container: containerd's defaults shaped the way dockerd shapes them (no
// /run tmpfs, a read-only cgroup mount, /dev/shm of ShmSize), then the image config, the create
// body's Config and HostConfig, the generated /etc files and the volumes.
import {
  type Mount,
  type Spec,
  type SpecOpt,
  type UserDb,
  KNOWN_CAPS,
  currentCapabilities,
  applyOpts,
  defaultSpec,
  hostDevices,
  withAddedCapabilities,
  withAllDevicesAllowed,
  withDroppedCapabilities,
  withHostNamespace,
  withHostname,
  withImageConfig,
  withLinuxDevices,
  withMounts,
  withPrivileged,
  withRootfsReadonly,
  withTty,
  withoutMounts,
} from '../../client/spec/index.js';
import { InvalidParameter } from '../errdefs/index.js';
import { withHostOptions } from './host-options.js';
import { blockIoOf, resourcesOf } from './resources.js';
import type { SecurityDefaults } from './security.js';
import {
  withDockerDevices,
  withDockerSecurity,
  withDockerSysctls,
  withSystemPaths,
} from './spec-security.js';
import type { ContainerRecord, MountPoint } from './types.js';

export const NAMESPACE = 'moby';

function capName(c: string): string {
  const up = c.toUpperCase();
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

function capsOpt(add: string[], drop: string[], all: readonly string[]): SpecOpt[] {
  const opts: SpecOpt[] = [];
  for (const c of drop.map(capName)) {
    if (c !== 'CAP_ALL' && !KNOWN_CAPS.includes(c))
      throw new InvalidParameter(`invalid CapDrop: unknown capability: "${c}"`);
  }
  if (drop.some((c) => c.toUpperCase() === 'ALL')) {
    opts.push((s) => withDroppedCapabilities([...KNOWN_CAPS])(s));
  } else if (drop.length > 0) opts.push(withDroppedCapabilities(drop.map(capName)));
  if (add.some((c) => c.toUpperCase() === 'ALL')) opts.push(withAddedCapabilities([...all]));
  else if (add.length > 0) {
    for (const c of add.map(capName)) {
      if (!KNOWN_CAPS.includes(c)) throw new InvalidParameter(`invalid CapAdd: unknown capability: "${c}"`);
    }
    opts.push(withAddedCapabilities(add.map(capName)));
  }
  return opts;
}

function mountOf(m: MountPoint): Mount {
  if (m.Type === 'tmpfs') {
    return {
      destination: m.Destination,
      type: 'tmpfs',
      source: 'tmpfs',
      options: m.tmpfsOptions ?? ['noexec', 'nosuid', 'nodev'],
    };
  }
  return {
    destination: m.Destination,
    type: 'bind',
    source: m.Source,
    options: ['rbind', m.RW ? 'rw' : 'ro', m.Propagation || 'rprivate'],
  };
}

export interface SpecInputs {
  rec: ContainerRecord;
  /** The image's config section (Env, User, WorkingDir, …). */
  image: { Env?: string[] | null; User?: string; WorkingDir?: string };
  users: UserDb;
  /** The daemon's security defaults (`--no-new-privileges`). */
  security?: SecurityDefaults;
}

export async function buildSpec({ rec, image, users, security = {} }: SpecInputs): Promise<Spec> {
  const cfg = rec.Config;
  const hc = rec.HostConfig;
  const opts: SpecOpt[] = [
    withoutMounts('/run'),
    withMounts([
      {
        destination: '/sys/fs/cgroup',
        type: 'cgroup',
        source: 'cgroup',
        options: ['ro', 'nosuid', 'noexec', 'nodev'],
      },
    ]),
    // The process: image env, then the body's env (Docker merges, the body winning), its cwd, user.
    withImageConfig(
      {
        Env: cfg.Env ?? image.Env ?? [],
        Entrypoint: [rec.Path],
        Cmd: rec.Args,
        WorkingDir: cfg.WorkingDir || image.WorkingDir || '/',
        User: cfg.User || image.User || '',
      },
      users,
      [],
    ),
    withHostname(cfg.Hostname || rec.Id.slice(0, 12)),
  ];
  if (cfg.Tty) opts.push(withTty(true));
  // --group-add: numeric ids as they are, names from the image's /etc/group (unknown: refused).
  const extraGids = (hc.GroupAdd ?? []).map((g) => {
    if (/^\d+$/.test(g)) return Number(g);
    const found = users.group?.find((e) => e.name === g);
    if (!found) throw new InvalidParameter(`Unable to find group ${g}: no matching entries in group file`);
    return found.gid;
  });
  if (extraGids.length > 0)
    opts.push((s) => {
      const user = s.process!.user;
      const gids = [...(user.additionalGids ?? [])];
      for (const g of extraGids) if (!gids.includes(g)) gids.push(g);
      return { ...s, process: { ...s.process!, user: { ...user, additionalGids: gids } } };
    });
  const shm = hc.ShmSize && hc.ShmSize > 0 ? hc.ShmSize : 64 << 20;
  opts.push((s) => ({
    ...s,
    mounts: s.mounts?.map((m) =>
      m.destination === '/dev/shm'
        ? { ...m, options: [...(m.options ?? []).filter((o) => !o.startsWith('size=')), `size=${shm}`] }
        : m,
    ),
  }));
  // Volumes, binds and tmpfs (the /etc files and the network namespace come from lifecycle hooks).
  const user = [...rec.Mounts].sort(
    (a, b) => a.Destination.split('/').length - b.Destination.split('/').length,
  );
  opts.push(withoutMounts(...user.map((m) => m.Destination)), withMounts(user.map(mountOf)));

  if (hc.PidMode === 'host') opts.push(withHostNamespace('pid'));
  if (hc.IpcMode === 'host') opts.push(withHostNamespace('ipc'));
  if (hc.UTSMode === 'host') opts.push(withHostNamespace('uts'), withHostname(''));

  // "Every capability" means every one this daemon has: a container cannot get more than its runtime.
  const all =
    hc.Privileged || (hc.CapAdd ?? []).some((c) => c.toUpperCase() === 'ALL')
      ? await currentCapabilities()
      : [];
  if (hc.Privileged) {
    opts.push(withPrivileged(all), withAllDevicesAllowed);
    opts.push(withLinuxDevices(await hostDevices()));
  }
  opts.push(...capsOpt(hc.CapAdd ?? [], hc.CapDrop ?? [], all));
  if (hc.ReadonlyRootfs) opts.push(withRootfsReadonly);

  // Memory, CPU, cpuset, pids and block I/O: the same computation as `docker update`.
  const blockIO = await blockIoOf(hc);
  opts.push((s) => {
    const resources = resourcesOf(hc, s.linux?.resources);
    if (blockIO) resources.blockIO = blockIO;
    return { ...s, linux: { ...s.linux, resources } };
  });
  opts.push(
    withHostOptions(hc, rec.Id),
    withDockerSysctls(hc, cfg.Domainname),
    withSystemPaths(hc),
    await withDockerDevices(hc),
  );
  // dockerd sets no rlimit of its own (containerd's default is nofile 1024): the container inherits the
  // runtime's, unless --ulimit says otherwise.
  opts.push((s) => ({ ...s, process: { ...s.process!, rlimits: undefined } }));
  if (hc.Ulimits && hc.Ulimits.length > 0) {
    const limits = hc.Ulimits;
    opts.push((s) => {
      const names = new Set(limits.map((u) => `RLIMIT_${u.Name.toUpperCase()}`));
      const kept = (s.process?.rlimits ?? []).filter((r) => !names.has(r.type));
      const added = limits.map((u) => ({
        type: `RLIMIT_${u.Name.toUpperCase()}`,
        soft: u.Soft,
        hard: u.Hard,
      }));
      return { ...s, process: { ...s.process!, rlimits: [...kept, ...added] } };
    });
  }
  if (typeof hc.OomScoreAdj === 'number' && hc.OomScoreAdj !== 0) {
    const adj = hc.OomScoreAdj;
    opts.push((s) => ({ ...s, process: { ...s.process!, oomScoreAdj: adj } }));
  }
  // Last: the seccomp profile depends on the final capability set.
  opts.push(withDockerSecurity(hc, security));
  return applyOpts(defaultSpec(NAMESPACE, rec.Id), ...opts);
}
