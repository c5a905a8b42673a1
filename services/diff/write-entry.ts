// Creates one tar entry at a path whose parents are verified and which does not exist (or is a
// directory when the entry is one), then applies owner, xattrs, mode and times. Files are opened
// with O_EXCL|O_NOFOLLOW, so even a mistake elsewhere cannot make us write through a symlink.
// Synchronous calls, as in confine.ts: per-entry syscalls are too small for the thread pool.
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import {
  S_IFBLK,
  S_IFCHR,
  S_IFIFO,
  fsetxattr,
  futimesNs,
  lsetxattr,
  lutimesNs,
  makedev,
  mknod,
} from './syscalls.js';
import type { TarHeader } from './tar-format.js';

const fileTypeBits = { char: S_IFCHR, block: S_IFBLK, fifo: S_IFIFO } as const;

/** `linkTarget` is the absolute, verified target of a hard link entry. */
export async function createEntry(
  abs: string,
  h: TarHeader,
  body: () => AsyncGenerator<Buffer>,
  linkTarget?: string,
): Promise<void> {
  switch (h.type) {
    case 'dir':
      if (!lstatSync(abs, { throwIfNoEntry: false })?.isDirectory()) mkdirSync(abs, 0o700);
      break;
    case 'file':
      return writeFile(abs, h, body);
    case 'symlink':
      symlinkSync(h.linkname, abs);
      break;
    case 'link':
      if (linkTarget === undefined) throw new Error('hard link without a verified target');
      linkSync(linkTarget, abs);
      break;
    case 'char':
    case 'block':
    case 'fifo':
      mknod(abs, fileTypeBits[h.type] | 0o600, makedev(h.devmajor, h.devminor));
      break;
  }
  applyMetadata(abs, h);
}

/** A regular file, with its metadata applied through the open descriptor. */
async function writeFile(abs: string, h: TarHeader, body: () => AsyncGenerator<Buffer>): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fd = openSync(abs, flags, 0o600);
  try {
    for await (const chunk of body()) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    }
    fchownSync(fd, h.uid, h.gid);
    setXattrs(h, true, (name, value) => fsetxattr(fd, name, value, abs));
    fchmodSync(fd, h.mode & 0o7777);
    const t = entryTimes(h);
    futimesNs(fd, t.atimeNs, t.mtimeNs, abs);
  } finally {
    closeSync(fd);
  }
}

/** The access time containerd gives an entry: the later of its atime and mtime, never before 1970. */
export function entryTimes(h: TarHeader): { atimeNs: bigint; mtimeNs: bigint } {
  const mtimeNs = h.mtimeNs < 0n ? 0n : h.mtimeNs;
  const atimeNs = h.atimeNs !== undefined && h.atimeNs > mtimeNs ? h.atimeNs : mtimeNs;
  return { atimeNs, mtimeNs };
}

function setXattrs(h: TarHeader, fileOrDir: boolean, set: (name: string, value: Buffer) => void): void {
  for (const [name, value] of h.xattrs) {
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

/** Owner, then xattrs, then mode (chown clears setuid bits and capabilities), then times (not dirs'). */
function applyMetadata(abs: string, h: TarHeader): void {
  lchownSync(abs, h.uid, h.gid);
  const st = lstatSync(abs);
  setXattrs(h, st.isFile() || st.isDirectory(), (name, value) => lsetxattr(abs, name, value));
  // A hard link may name a symlink; chmod would follow it, and symlink modes mean nothing anyway.
  if (!st.isSymbolicLink()) chmodSync(abs, h.mode & 0o7777);
  if (!st.isDirectory()) {
    const t = entryTimes(h);
    lutimesNs(abs, t.atimeNs, t.mtimeNs);
  }
}
