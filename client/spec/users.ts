// A container's users and groups, read from `/etc/passwd` and `/etc/group` inside its root filesystem.
// Parsing follows runc's libcontainer/user (what containerd uses): fields split on ':', bad numbers read as 0,
// blank lines skipped, and `#` comments skipped in the group file only.
import { lstat, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

export interface PasswdEntry {
  name: string;
  pass: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  pass: string;
  gid: number;
  members: string[];
}

/** The user database of one root filesystem. A missing file is `undefined`, an empty one `[]`. */
export interface UserDb {
  passwd?: PasswdEntry[];
  group?: GroupEntry[];
}

// Go's strconv.Atoi, with the error read as 0 the way runc's parser does.
function atoi(s: string): number {
  return /^[+-]?\d+$/.test(s) ? Number.parseInt(s, 10) : 0;
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).map((line) => {
    const f = line.split(':');
    return {
      name: f[0] ?? '',
      pass: f[1] ?? '',
      uid: atoi(f[2] ?? ''),
      gid: atoi(f[3] ?? ''),
      gecos: f[4] ?? '',
      home: f[5] ?? '',
      shell: f[6] ?? '',
    };
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text)
    .filter((l) => !l.startsWith('#'))
    .map((line) => {
      const f = line.split(':');
      const list = f[3] ?? '';
      return {
        name: f[0] ?? '',
        pass: f[1] ?? '',
        gid: atoi(f[2] ?? ''),
        members: list ? list.split(',') : [],
      };
    });
}

const MAX_LINKS = 255;

/**
 * `p` inside `root`, following symlinks as if `root` were `/`: no link (absolute or through `..`) can lead
 * outside. A missing component ends the walk (the result then names a path that does not exist).
 */
export async function resolveInRoot(root: string, p: string): Promise<string> {
  let pending = p.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const [c, ...rest] = pending;
    pending = rest;
    if (c === '..') {
      done.pop();
      continue;
    }
    const real = path.join(root, ...done, c);
    let isLink = false;
    try {
      isLink = (await lstat(real)).isSymbolicLink();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (!isLink) {
      done.push(c);
      continue;
    }
    if (++links > MAX_LINKS) throw new Error(`too many links resolving ${p} in ${root}`);
    const target = await readlink(real);
    if (target.startsWith('/')) done.length = 0;
    pending = [...target.split('/').filter((x) => x !== '' && x !== '.'), ...pending];
  }
  return path.join(root, ...done);
}

async function readOptional(root: string, file: string): Promise<string | undefined> {
  try {
    return await readFile(await resolveInRoot(root, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Reads `/etc/passwd` and `/etc/group` of the root filesystem mounted at `rootfs`. */
export async function readUserDb(rootfs: string): Promise<UserDb> {
  const [passwd, group] = await Promise.all([
    readOptional(rootfs, '/etc/passwd'),
    readOptional(rootfs, '/etc/group'),
  ]);
  return {
    passwd: passwd === undefined ? undefined : parsePasswd(passwd),
    group: group === undefined ? undefined : parseGroup(group),
  };
}
