// File times with nanoseconds (utimensat, futimens), bound on first use.
import koffi from 'koffi';
import { libc, syscallError } from './libc.js';

interface Timespec {
  tv_sec: bigint;
  tv_nsec: bigint;
}
type UtimensatFn = (dirfd: number, path: string, times: Timespec[], flags: number) => number;
type FutimensFn = (fd: number, times: Timespec[]) => number;

let bound: { utimensat: UtimensatFn; futimens: FutimensFn } | undefined;
function fns(): { utimensat: UtimensatFn; futimens: FutimensFn } {
  if (!bound) {
    const ts = koffi.pointer(koffi.struct({ tv_sec: 'int64_t', tv_nsec: 'int64_t' }));
    bound = {
      utimensat: libc().func('utimensat', 'int', [
        'int',
        'const char *',
        ts,
        'int',
      ]) as unknown as UtimensatFn,
      futimens: libc().func('futimens', 'int', ['int', ts]) as unknown as FutimensFn,
    };
  }
  return bound;
}

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;

function split(ns: bigint): Timespec {
  let sec = ns / 1_000_000_000n;
  let nsec = ns % 1_000_000_000n;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += 1_000_000_000n;
  }
  return { tv_sec: sec, tv_nsec: nsec };
}

/** utimensat(2) with AT_SYMLINK_NOFOLLOW; times in nanoseconds since the epoch. */
export function lutimesNs(path: string, atimeNs: bigint, mtimeNs: bigint): void {
  if (fns().utimensat(AT_FDCWD, path, [split(atimeNs), split(mtimeNs)], AT_SYMLINK_NOFOLLOW) !== 0) {
    throw syscallError('utimensat', path);
  }
}

/** utimensat(2) following a final symlink (for /proc/self/fd/N handles). */
export function utimesNs(path: string, atimeNs: bigint, mtimeNs: bigint): void {
  if (fns().utimensat(AT_FDCWD, path, [split(atimeNs), split(mtimeNs)], 0) !== 0) {
    throw syscallError('utimensat', path);
  }
}

/** futimens(2) on an open file; times in nanoseconds since the epoch. `path` only words the error. */
export function futimesNs(fd: number, atimeNs: bigint, mtimeNs: bigint, path: string): void {
  if (fns().futimens(fd, [split(atimeNs), split(mtimeNs)]) !== 0) throw syscallError('futimens', path);
}
