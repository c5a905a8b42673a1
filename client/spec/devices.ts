// Device nodes of the host, as spec devices: what a privileged container gets (containerd's `HostDevices`).
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { LinuxDevice } from './types.js';

// Directories under /dev that hold no devices of their own, or mounts the container makes itself.
const SKIPPED_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

const S_IFMT = 0o170000;
const S_IFBLK = 0o060000;
const S_IFCHR = 0o020000;

// glibc's major()/minor() for a 64-bit dev_t.
function devMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn & 0xffffffffn));
}

function devMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn & 0xffffffffn));
}

/** The block or character device at `p` (not following a symlink), or undefined when it is not one. */
export async function deviceFromPath(p: string): Promise<LinuxDevice | undefined> {
  const st = await lstat(p, { bigint: true });
  const mode = Number(st.mode);
  const kind = mode & S_IFMT;
  if (kind !== S_IFBLK && kind !== S_IFCHR) return undefined;
  return {
    path: p,
    type: kind === S_IFBLK ? 'b' : 'c',
    major: devMajor(st.rdev),
    minor: devMinor(st.rdev),
    fileMode: mode & ~S_IFMT,
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
}

/** Every block and character device below `dir` (default /dev), in name order, skipping /dev/console. */
export async function hostDevices(dir = '/dev'): Promise<LinuxDevice[]> {
  const out: LinuxDevice[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) out.push(...(await hostDevices(p)));
      continue;
    }
    if (e.name === 'console') continue;
    try {
      const dev = await deviceFromPath(p);
      if (dev) out.push(dev);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out;
}
