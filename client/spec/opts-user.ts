// Spec options for the process's user (resolved in the image's /etc/passwd and /etc/group, a `UserDb`),
// and for what an image config asks of the process.
import { DEFAULT_UNIX_ENV } from './default.js';
import { type ImageExecConfig, type SpecOpt, replaceOrAppendEnv } from './opts.js';
import { edit, nonEmpty, processOf, setProp } from './opts-edit.js';
import type { Process } from './types.js';
import type { UserDb } from './users.js';

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
