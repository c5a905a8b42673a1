// Creates one tar entry by its single name inside a directory handle, then applies owner, xattrs,
// mode and times through a handle on what was created (or calls that never follow a final symlink).
// The name must not exist, or be a directory when the entry is one. Files are opened with
// O_CREAT|O_EXCL|O_NOFOLLOW, so even a mistake elsewhere cannot make us write through a symlink.
// Calls are synchronous on purpose: a layer is tens of thousands of tiny syscalls, and a thread-pool
// round trip for each costs several times the work.
import {
  type BigIntStats,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  lchownSync,
  linkSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { S_IFBLK, S_IFCHR, S_IFIFO, makedev, mknod } from '../sys/mknod.js';
import { openAt } from '../sys/openat.js';
import { futimesNs, lutimesNs, utimesNs } from '../sys/utimes.js';
import { fsetxattr, lsetxattr, setxattr } from '../sys/xattr.js';
import { invalid, q } from './errors.js';
import { O_DIRECTORY, O_NOFOLLOW, O_PATH, at, fstatBig, lstatAt } from './rootfs.js';
import type { TarHeader } from './tar-format.js';

const fileTypeBits = { char: S_IFCHR, block: S_IFBLK, fifo: S_IFIFO } as const;

/** What is applied to a new entry besides its contents. */
export interface EntryMeta {
  uid: number;
  gid: number;
  /** Permission bits, setuid/setgid/sticky included. */
  mode: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  /** Extended attributes to set (empty when the caller does not restore them). */
  xattrs: Map<string, Buffer>;
}

/** The times an entry gets: mtime, and atime no earlier than it; times before 1970 (or past what
 * int64 nanoseconds hold) become the epoch, as containerd and moby do. */
export function entryTimes(h: TarHeader): { atimeNs: bigint; mtimeNs: bigint } {
  const clamp = (t: bigint): bigint => (t < 0n || t > 9_200_000_000_000_000_000n ? 0n : t);
  const mtimeNs = clamp(h.mtimeNs);
  const atime = h.atimeNs === undefined ? 0n : clamp(h.atimeNs);
  return { atimeNs: atime > mtimeNs ? atime : mtimeNs, mtimeNs };
}

/**
 * Creates `name` in the directory `dirFd` as `h` describes. `body` yields a file's data;
 * `linkTarget` is the verified target of a hard link (its directory handle and name). Directory
 * times are left to the caller (creating entries inside a directory changes them).
 */
export async function writeEntry(
  dirFd: number,
  name: string,
  h: TarHeader,
  meta: EntryMeta,
  body: () => AsyncGenerator<Buffer>,
  linkTarget?: { fd: number; name: string },
  /** The caller knows nothing is at `name` (it lstat-ed, or the directory is its own, new). */
  absent = false,
): Promise<void> {
  const p = at(dirFd, name);
  switch (h.type) {
    case 'dir':
      if (absent || !lstatAt(dirFd, name)?.isDirectory()) mkdirSync(p, 0o700);
      return withHandle(p, O_DIRECTORY, (st) => st.isDirectory(), meta, false);
    case 'file':
      return writeFile(dirFd, name, meta, body);
    case 'symlink':
      if (!h.linkname) throw invalid(`tar entry ${q(h.name)}: symlink without a target`);
      symlinkSync(h.linkname, p);
      return symlinkMeta(p, meta);
    case 'link': {
      if (!linkTarget) throw new Error('hard link without a verified target');
      linkSync(at(linkTarget.fd, linkTarget.name), p);
      if (lstatAt(dirFd, name)?.isSymbolicLink()) return symlinkMeta(p, meta);
      return withHandle(p, 0, (st) => !st.isDirectory() && !st.isSymbolicLink(), meta, true);
    }
    case 'char':
    case 'block':
    case 'fifo': {
      mknod(p, fileTypeBits[h.type] | 0o600, makedev(h.devmajor, h.devminor));
      const isType = (st: BigIntStats): boolean =>
        h.type === 'fifo' ? st.isFIFO() : h.type === 'char' ? st.isCharacterDevice() : st.isBlockDevice();
      return withHandle(p, 0, isType, meta, true);
    }
  }
}

/** A regular file, its metadata applied through the open descriptor. */
async function writeFile(
  dirFd: number,
  name: string,
  meta: EntryMeta,
  body: () => AsyncGenerator<Buffer>,
): Promise<void> {
  const p = at(dirFd, name);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW;
  const fd = openAt(dirFd, name, flags, 0o600);
  try {
    for await (const chunk of body()) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    }
    fchownSync(fd, meta.uid, meta.gid);
    setXattrs(meta, true, (n, v) => fsetxattr(fd, n, v, p));
    fchmodSync(fd, meta.mode); // after chown, which clears setuid/setgid and capabilities
    futimesNs(fd, meta.atimeNs, meta.mtimeNs, p);
  } finally {
    closeSync(fd);
  }
}

/** A symlink's owner, xattrs and times, never following it (its mode means nothing). */
function symlinkMeta(p: string, meta: EntryMeta): void {
  lchownSync(p, meta.uid, meta.gid);
  setXattrs(meta, false, (n, v) => lsetxattr(p, n, v));
  lutimesNs(p, meta.atimeNs, meta.mtimeNs);
}

/**
 * Owner, xattrs, mode (and times) of what `p` names, through an O_PATH handle on it checked with
 * `expected` to be what we just created, so a concurrent swap cannot redirect the calls.
 */
function withHandle(
  p: string,
  flags: number,
  expected: (st: BigIntStats) => boolean,
  meta: EntryMeta,
  times: boolean,
): void {
  const fd = openSync(p, O_PATH | O_NOFOLLOW | flags);
  try {
    const st = fstatBig(fd);
    if (!expected(st)) throw new Error('replaced while being created');
    const self = at(fd);
    chownSync(self, meta.uid, meta.gid);
    setXattrs(meta, st.isFile() || st.isDirectory(), (n, v) => setxattr(self, n, v));
    chmodSync(self, meta.mode);
    if (times) utimesNs(self, meta.atimeNs, meta.mtimeNs);
  } finally {
    closeSync(fd);
  }
}

function setXattrs(meta: EntryMeta, fileOrDir: boolean, set: (name: string, value: Buffer) => void): void {
  for (const [name, value] of meta.xattrs) {
    // trusted.* (overlay's own attributes among them) is never taken from an archive.
    if (name.startsWith('trusted.')) continue;
    try {
      set(name, value);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTSUP') continue;
      // user.* xattrs only exist on regular files and directories.
      if (code === 'EPERM' && name.startsWith('user.') && !fileOrDir) continue;
      throw e;
    }
  }
}
