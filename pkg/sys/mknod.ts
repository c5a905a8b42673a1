// mknod(2) (device nodes, FIFOs, overlay whiteouts) and the dev_t encoding, bound on first use. The
// only mknod binding of the project.
import { lazyFunc, syscallError } from './libc.js';

const cMknod = lazyFunc<(path: string, mode: number, dev: bigint) => number>(
  'int mknod(const char *path, uint32_t mode, uint64_t dev)',
);

export const S_IFMT = 0o170000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** mknod(2); `mode` carries the file type bits (S_IFCHR, S_IFBLK, S_IFIFO) and the permissions. A
 * final symlink is never followed (mknod fails with EEXIST). */
export function mknod(path: string, mode: number, dev: bigint): void {
  if (cMknod()(path, mode, dev) !== 0) throw syscallError('mknod', path);
}

/** mkfifo(3): Node's fs cannot make FIFOs, and spawning mkfifo costs a process per FIFO. */
export function mkfifo(path: string, mode: number): void {
  mknod(path, S_IFIFO | (mode & 0o777), 0n);
}

/** glibc's makedev encoding of a 64-bit dev_t. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** glibc's major() of a 64-bit dev_t. */
export function devMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n));
}

/** glibc's minor() of a 64-bit dev_t. */
export function devMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n));
}
