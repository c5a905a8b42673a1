// Spec options in the manner of containerd's `oci.With…`: each is a pure function from a spec to a new spec.
// Apply them in order with `applyOpts`. Options that need the container's users take a `UserDb`
// (`readUserDb(rootfs)`), so the caller reads the root filesystem once and the options stay synchronous.
//
// A list left empty is removed from the spec rather than kept as `[]`, as Go's `omitempty` does, so the JSON is
// the same as containerd's.
import { DEFAULT_UNIX_ENV } from './default.js';
import type {
  LinuxCapabilities,
  LinuxDevice,
  LinuxIdMapping,
  LinuxNamespace,
  LinuxNamespaceType,
  Linux,
  LinuxResources,
  Mount,
  Process,
  Spec,
} from './types.js';
import type { UserDb } from './users.js';

export type SpecOpt = (spec: Spec) => Spec;

/** The part of an OCI image config that decides how its process runs (the image config's `config`). */
export interface ImageExecConfig {
  User?: string;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
}

export function applyOpts(spec: Spec, ...opts: SpecOpt[]): Spec {
  return opts.reduce((s, o) => o(s), spec);
}

/** Several options as one. */
export function compose(...opts: SpecOpt[]): SpecOpt {
  return (spec) => applyOpts(spec, ...opts);
}

// Every option edits a copy.
function edit(fn: (s: Spec) => void): SpecOpt {
  return (spec) => {
    const s = structuredClone(spec);
    fn(s);
    return s;
  };
}

function nonEmpty<T>(list: T[] | undefined): T[] | undefined {
  return list && list.length > 0 ? list : undefined;
}

function processOf(s: Spec): Process {
  s.process ??= { user: { uid: 0, gid: 0 }, cwd: '' };
  return s.process;
}

function linuxOf(s: Spec): Linux {
  s.linux ??= {};
  return s.linux;
}

function resourcesOf(s: Spec): LinuxResources {
  const linux = linuxOf(s);
  linux.resources ??= {};
  return linux.resources;
}

function capsOf(s: Spec): LinuxCapabilities {
  const p = processOf(s);
  p.capabilities ??= {};
  return p.capabilities;
}

function setProp<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) delete obj[key];
  else obj[key] = value;
}

// ----------------------------------------------------------------------------------------------------------
// Environment

/**
 * `overrides` laid over `defaults`: a `KEY=value` replaces the entry with the same key in place or is added at
 * the end; a bare `KEY` removes it. Empty entries are dropped.
 */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const results: string[] = [...defaults];
  const index = new Map<string, number>();
  defaults.forEach((e, i) => index.set(e.split('=', 1)[0], i));
  for (const value of overrides) {
    const eq = value.indexOf('=');
    if (eq < 0) {
      const i = index.get(value);
      if (i !== undefined) results[i] = '';
      continue;
    }
    const i = index.get(value.slice(0, eq));
    if (i !== undefined) results[i] = value;
    else results.push(value);
  }
  return results.filter((e) => e !== '');
}

/** Sets or replaces environment variables by key; a bare `KEY` unsets it. */
export function withEnv(list: readonly string[]): SpecOpt {
  return edit((s) => {
    if (list.length === 0) return;
    const p = processOf(s);
    setProp(p, 'env', nonEmpty(replaceOrAppendEnv(p.env ?? [], list)));
  });
}

/** Sets PATH to containerd's default. */
export const withDefaultPathEnv: SpecOpt = edit((s) => {
  const p = processOf(s);
  setProp(p, 'env', nonEmpty(replaceOrAppendEnv(p.env ?? [], DEFAULT_UNIX_ENV)));
});

// ----------------------------------------------------------------------------------------------------------
// Process

export function withProcessArgs(...args: string[]): SpecOpt {
  return edit((s) => setProp(processOf(s), 'args', nonEmpty([...args])));
}

export function withCwd(cwd: string): SpecOpt {
  return edit((s) => {
    processOf(s).cwd = cwd;
  });
}

/** A terminal for the process; turning it on also appends `TERM=xterm` to the environment, as containerd does. */
export function withTty(on = true): SpecOpt {
  return edit((s) => {
    const p = processOf(s);
    if (!on) {
      delete p.terminal;
      return;
    }
    p.terminal = true;
    if (s.linux) p.env = [...(p.env ?? []), 'TERM=xterm'];
  });
}

export function withConsoleSize(width: number, height: number): SpecOpt {
  return edit((s) => {
    processOf(s).consoleSize = { height, width };
  });
}

export function withHostname(name: string): SpecOpt {
  return edit((s) => setProp(s, 'hostname', name === '' ? undefined : name));
}

/** Lets the process gain privileges (setuid binaries, file capabilities). */
export const withNewPrivileges: SpecOpt = edit((s) => {
  delete processOf(s).noNewPrivileges;
});

export function withRlimit(type: string, hard: number, soft: number): SpecOpt {
  return edit((s) => {
    const p = processOf(s);
    p.rlimits = [...(p.rlimits ?? []).filter((r) => r.type !== type), { type, hard, soft }];
  });
}

// ----------------------------------------------------------------------------------------------------------
// Capabilities

/** Replaces the bounding, effective and permitted sets. */
export function withCapabilities(caps: readonly string[]): SpecOpt {
  return edit((s) => {
    const c = capsOf(s);
    setProp(c, 'bounding', nonEmpty([...caps]));
    setProp(c, 'effective', nonEmpty([...caps]));
    setProp(c, 'permitted', nonEmpty([...caps]));
  });
}

export function withAddedCapabilities(caps: readonly string[]): SpecOpt {
  return edit((s) => {
    const c = capsOf(s);
    for (const key of ['bounding', 'effective', 'permitted'] as const) {
      const list = [...(c[key] ?? [])];
      for (const cap of caps) if (!list.includes(cap)) list.push(cap);
      setProp(c, key, nonEmpty(list));
    }
  });
}

export function withDroppedCapabilities(caps: readonly string[]): SpecOpt {
  return edit((s) => {
    const c = capsOf(s);
    for (const key of ['bounding', 'effective', 'permitted'] as const) {
      setProp(c, key, nonEmpty((c[key] ?? []).filter((x) => !caps.includes(x))));
    }
  });
}

// ----------------------------------------------------------------------------------------------------------
// Root, mounts, namespaces

export const withRootfsReadonly: SpecOpt = edit((s) => {
  s.root = { ...(s.root ?? { path: '' }), readonly: true };
});

/** Appends mounts after the existing ones. */
export function withMounts(extra: readonly Mount[]): SpecOpt {
  return edit((s) => setProp(s, 'mounts', nonEmpty([...(s.mounts ?? []), ...structuredClone(extra)])));
}

/** Removes the mounts at these destinations. */
export function withoutMounts(...destinations: string[]): SpecOpt {
  return edit((s) => {
    const keep = (s.mounts ?? []).filter((m) => !destinations.includes(cleanPath(m.destination)));
    setProp(s, 'mounts', nonEmpty(keep));
  });
}

function bindHostFile(file: string): SpecOpt {
  return withMounts([{ destination: file, type: 'bind', source: file, options: ['rbind', 'ro'] }]);
}

/** The host's /etc/hosts, read-only (with a host network). */
export const withHostHostsFile: SpecOpt = bindHostFile('/etc/hosts');
/** The host's /etc/resolv.conf, read-only (with a host network). */
export const withHostResolvconf: SpecOpt = bindHostFile('/etc/resolv.conf');

/** Runs in the host's namespace of this kind (removes the new namespace from the spec). */
export function withHostNamespace(type: LinuxNamespaceType): SpecOpt {
  return edit((s) => {
    const linux = linuxOf(s);
    const list = [...(linux.namespaces ?? [])];
    const i = list.findIndex((n) => n.type === type);
    if (i >= 0) list.splice(i, 1);
    setProp(linux, 'namespaces', nonEmpty(list));
  });
}

/** Adds a namespace, or replaces the one of the same type (give `path` to join an existing one). */
export function withLinuxNamespace(ns: LinuxNamespace): SpecOpt {
  return edit((s) => {
    const linux = linuxOf(s);
    const list = [...(linux.namespaces ?? [])];
    const i = list.findIndex((n) => n.type === ns.type);
    if (i >= 0) list[i] = { ...ns };
    else list.push({ ...ns });
    linux.namespaces = list;
  });
}

/** A user namespace with these mappings (added to any already there). */
export function withUserNamespace(
  uidMap: readonly LinuxIdMapping[],
  gidMap: readonly LinuxIdMapping[],
): SpecOpt {
  return edit((s) => {
    const linux = linuxOf(s);
    if (!(linux.namespaces ?? []).some((n) => n.type === 'user')) {
      linux.namespaces = [...(linux.namespaces ?? []), { type: 'user' }];
    }
    setProp(linux, 'uidMappings', nonEmpty([...(linux.uidMappings ?? []), ...uidMap.map((m) => ({ ...m }))]));
    setProp(linux, 'gidMappings', nonEmpty([...(linux.gidMappings ?? []), ...gidMap.map((m) => ({ ...m }))]));
  });
}

export function withCgroup(path: string): SpecOpt {
  return edit((s) => setProp(linuxOf(s), 'cgroupsPath', path === '' ? undefined : path));
}

export function withAnnotations(annotations: Readonly<Record<string, string>>): SpecOpt {
  return edit((s) => {
    const merged = { ...(s.annotations ?? {}), ...annotations };
    setProp(s, 'annotations', Object.keys(merged).length > 0 ? merged : undefined);
  });
}

// ----------------------------------------------------------------------------------------------------------
// Resources and devices

/** Memory limit in bytes. */
export function withMemoryLimit(bytes: number): SpecOpt {
  return edit((s) => {
    if (!s.linux) return;
    const r = resourcesOf(s);
    r.memory = { ...r.memory, limit: bytes };
  });
}

/** Memory plus swap limit in bytes (-1: unlimited swap). */
export function withMemorySwap(bytes: number): SpecOpt {
  return edit((s) => {
    const r = resourcesOf(s);
    r.memory = { ...r.memory, swap: bytes };
  });
}

export function withPidsLimit(limit: number): SpecOpt {
  return edit((s) => {
    resourcesOf(s).pids = { limit };
  });
}

export function withCpuShares(shares: number): SpecOpt {
  return edit((s) => {
    const r = resourcesOf(s);
    r.cpu = { ...r.cpu, shares };
  });
}

/** CFS quota and period, in microseconds. */
export function withCpuCfs(quota: number, period: number): SpecOpt {
  return edit((s) => {
    const r = resourcesOf(s);
    r.cpu = { ...r.cpu, quota, period };
  });
}

/** At most `n` CPUs' worth of time (may be fractional): a quota of n × 100 ms per 100 ms period. */
export function withCpus(n: number): SpecOpt {
  return withCpuCfs(Math.trunc(n * 100_000), 100_000);
}

/** Replaces the device rules with one allowing every device. */
export const withAllDevicesAllowed: SpecOpt = edit((s) => {
  resourcesOf(s).devices = [{ allow: true, access: 'rwm' }];
});

/** Creates these device nodes in the container (cgroup rules are separate). */
export function withLinuxDevices(devices: readonly LinuxDevice[]): SpecOpt {
  return edit((s) => {
    const linux = linuxOf(s);
    setProp(linux, 'devices', nonEmpty([...(linux.devices ?? []), ...devices.map((d) => ({ ...d }))]));
  });
}

/**
 * Everything a privileged container changes: these capabilities (containerd gives the caller's effective set,
 * see `currentCapabilities`), nothing masked or read-only in /proc and /sys, sysfs and cgroupfs writable, and
 * no SELinux label, AppArmor profile or seccomp filter. Device access is separate (`withAllDevicesAllowed`,
 * `withLinuxDevices(await hostDevices())`).
 */
export function withPrivileged(caps: readonly string[]): SpecOpt {
  return compose(
    withCapabilities(caps),
    edit((s) => {
      const linux = linuxOf(s);
      delete linux.maskedPaths;
      delete linux.readonlyPaths;
      delete linux.seccomp;
      for (const m of s.mounts ?? []) {
        if (m.type === 'sysfs' || m.type === 'cgroup')
          m.options = m.options?.map((o) => (o === 'ro' ? 'rw' : o));
      }
      const p = processOf(s);
      delete p.selinuxLabel;
      delete p.apparmorProfile;
    }),
  );
}

// ----------------------------------------------------------------------------------------------------------
// Users

/** The primary gid is always among the additional gids, at the front if it had to be added. */
function ensureAdditionalGids(p: Process): void {
  const gids = p.user.additionalGids ?? [];
  if (!gids.includes(p.user.gid)) p.user.additionalGids = [p.user.gid, ...gids];
}

// The number in a user string, as Go's strconv.Atoi reads it (then cut to uint32), or undefined.
function parseId(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number.parseInt(s, 10);
  return Number.isSafeInteger(n) ? n >>> 0 : undefined;
}

function passwdOf(users: UserDb): NonNullable<UserDb['passwd']> {
  if (!users.passwd)
    throw new Error('unable to find user: /etc/passwd does not exist in the root filesystem');
  return users.passwd;
}

function userByName(users: UserDb, name: string): { uid: number; gid: number } {
  const u = passwdOf(users).find((e) => e.name === name);
  if (!u) throw new Error(`unable to find user ${name}: no matching entries in passwd file`);
  return { uid: u.uid >>> 0, gid: u.gid >>> 0 };
}

function gidByName(users: UserDb, name: string): number {
  if (!users.group) throw new Error('unable to find group: /etc/group does not exist in the root filesystem');
  const g = users.group.find((e) => e.name === name);
  if (!g) throw new Error(`unable to find group ${name}: no matching entries in group file`);
  return g.gid >>> 0;
}

/** Exactly this uid and gid, no lookup. */
export function withUidGid(uid: number, gid: number): SpecOpt {
  return edit((s) => {
    const p = processOf(s);
    p.user = { ...p.user, uid, gid };
    delete p.user.additionalGids;
    ensureAdditionalGids(p);
  });
}

/** This uid, with the primary group /etc/passwd gives it; gid 0 when the uid is not there (not an error). */
export function withUserId(uid: number, users: UserDb): SpecOpt {
  return edit((s) => {
    const p = processOf(s);
    const u = users.passwd?.find((e) => e.uid === uid);
    p.user = { ...p.user, uid, gid: u ? u.gid >>> 0 : 0 };
    delete p.user.additionalGids;
    ensureAdditionalGids(p);
  });
}

/** The uid and primary gid of this name in /etc/passwd; throws when it is not there. */
export function withUsername(name: string, users: UserDb): SpecOpt {
  return edit((s) => {
    const p = processOf(s);
    p.user = { ...p.user, ...userByName(users, name) };
    delete p.user.additionalGids;
    ensureAdditionalGids(p);
  });
}

/**
 * A user string of the OCI image spec: `user`, `uid`, `user:group`, `uid:gid`, `uid:group` or `user:gid`.
 * Names are looked up in `users` (an unknown name throws); a lone uid gets its passwd group, or 0.
 */
export function withUser(user: string, users: UserDb): SpecOpt {
  return (spec) => {
    const parts = user.split(':');
    if (parts.length === 1) {
      const uid = parseId(user);
      return uid === undefined ? withUsername(user, users)(spec) : withUserId(uid, users)(spec);
    }
    if (parts.length !== 2) throw new Error(`invalid USER value ${user}`);
    const [uname, gname] = parts;
    const uidNum = parseId(uname);
    const gidNum = parseId(gname);
    // An empty name (as in `:100`) is not looked up: it stays 0.
    const uid = uidNum ?? (uname === '' ? 0 : userByName(users, uname).uid);
    const gid = gidNum ?? (gname === '' ? 0 : gidByName(users, gname));
    return withUidGid(uid, gid)(spec);
  };
}

/**
 * The supplementary groups of a user (a name, or a uid looked up in /etc/passwd): every group in /etc/group
 * listing it as a member, other than the group of its own name. The primary gid stays first.
 */
export function withAdditionalGids(user: string, users: UserDb): SpecOpt {
  return edit((s) => {
    const p = processOf(s);
    delete p.user.additionalGids;
    let name: string | undefined = user;
    const uid = parseId(user);
    if (uid !== undefined) name = users.passwd?.find((e) => e.uid >>> 0 === uid)?.name;
    if (name !== undefined && users.group) {
      const member = name;
      p.user.additionalGids = users.group
        .filter((g) => g.name !== member && g.members.includes(member))
        .map((g) => g.gid >>> 0);
    }
    ensureAdditionalGids(p);
  });
}

// ----------------------------------------------------------------------------------------------------------
// Image config

/**
 * How the image wants its process run: Entrypoint + Cmd (or + `args` when given) as the args, the image's Env
 * (or the default PATH) under the variables already set, WorkingDir (or `/`), and the image's User with its
 * supplementary groups (root's when the image names no user).
 */
export function withImageConfig(config: ImageExecConfig, users: UserDb, args?: readonly string[]): SpecOpt {
  return (spec) => {
    if (!spec.linux) throw new Error('spec does not contain a Linux section');
    const s = edit((draft) => {
      const p = processOf(draft);
      const defaults = config.Env && config.Env.length > 0 ? config.Env : DEFAULT_UNIX_ENV;
      setProp(p, 'env', nonEmpty(replaceOrAppendEnv(defaults, p.env ?? [])));
      const cmd = args && args.length > 0 ? args : (config.Cmd ?? []);
      setProp(p, 'args', nonEmpty([...(config.Entrypoint ?? []), ...cmd]));
      p.cwd = config.WorkingDir || '/';
    })(spec);
    if (!config.User) return withAdditionalGids('root', users)(s);
    const withUid = withUser(config.User, users)(s);
    return withAdditionalGids(String(withUid.process?.user.uid ?? 0), users)(withUid);
  };
}

function cleanPath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(c);
  }
  const joined = out.join('/');
  return abs ? `/${joined}` : joined || '.';
}
