// The few Linux calls Node's fs lacks, through koffi: mknod, the l*xattr family and utimensat with
// nanoseconds and AT_SYMLINK_NOFOLLOW. Failures throw Node-style errors (`code` is the errno name).
import { constants as osConstants } from 'node:os';
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const timespec = koffi.struct({ tv_sec: 'int64_t', tv_nsec: 'int64_t' });

const cMknod = libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)') as unknown as (
  path: string,
  mode: number,
  dev: bigint,
) => number;
const cLsetxattr = libc.func(
  'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
) as unknown as (path: string, name: string, value: Buffer, size: number, flags: number) => number;
const cFsetxattr = libc.func(
  'int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)',
) as unknown as (fd: number, name: string, value: Buffer, size: number, flags: number) => number;
const cLgetxattr = libc.func(
  'intptr_t lgetxattr(const char *path, const char *name, void *value, size_t size)',
) as unknown as (path: string, name: string, value: Buffer | null, size: number) => number;
const cLlistxattr = libc.func(
  'intptr_t llistxattr(const char *path, void *list, size_t size)',
) as unknown as (path: string, list: Buffer | null, size: number) => number;
const cUtimensat = libc.func('utimensat', 'int', [
  'int',
  'const char *',
  koffi.pointer(timespec),
  'int',
]) as unknown as (
  dirfd: number,
  path: string,
  times: { tv_sec: bigint; tv_nsec: bigint }[],
  flags: number,
) => number;

const cFutimens = libc.func('futimens', 'int', ['int', koffi.pointer(timespec)]) as unknown as (
  fd: number,
  times: { tv_sec: bigint; tv_nsec: bigint }[],
) => number;

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;

export const S_IFMT = 0o170000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

const errnoName = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

function fail(call: string, path: string): never {
  const errno = koffi.errno();
  const code = errnoName.get(errno) ?? `E${errno}`;
  const err = new Error(`${call} ${path}: ${code}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = errno;
  err.path = path;
  err.syscall = call;
  throw err;
}

/** glibc's makedev encoding of a 64-bit dev_t. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

export function devMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n));
}

export function devMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n));
}

/** mknod(2); `mode` carries the file type bits (S_IFCHR, S_IFBLK, S_IFIFO) and the permissions. */
export function mknod(path: string, mode: number, dev: bigint): void {
  if (cMknod(path, mode, dev) !== 0) fail('mknod', path);
}

/** lsetxattr(2): never follows a final symlink. */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  if (cLsetxattr(path, name, value, value.length, 0) !== 0) fail('lsetxattr', `${path} (${name})`);
}

/** fsetxattr(2) on an open file. */
export function fsetxattr(fd: number, name: string, value: Buffer, path: string): void {
  if (cFsetxattr(fd, name, value, value.length, 0) !== 0) fail('fsetxattr', `${path} (${name})`);
}

/** lgetxattr(2); undefined when the attribute is absent or xattrs are unsupported. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  for (;;) {
    const size = cLgetxattr(path, name, null, 0);
    if (size < 0) return absentOrFail('lgetxattr', path);
    const buf = Buffer.alloc(size);
    const got = cLgetxattr(path, name, buf, size);
    if (got >= 0) return buf.subarray(0, got);
    if (koffi.errno() !== osConstants.errno.ERANGE) return absentOrFail('lgetxattr', path);
  }
}

/** llistxattr(2); [] when xattrs are unsupported. */
export function llistxattr(path: string): string[] {
  for (;;) {
    const size = cLlistxattr(path, null, 0);
    if (size < 0) return absentOrFail('llistxattr', path) ?? [];
    if (size === 0) return [];
    const buf = Buffer.alloc(size);
    const got = cLlistxattr(path, buf, size);
    if (got >= 0) {
      return buf
        .subarray(0, got)
        .toString('utf8')
        .split('\0')
        .filter((n) => n !== '');
    }
    if (koffi.errno() !== osConstants.errno.ERANGE) return absentOrFail('llistxattr', path) ?? [];
  }
}

function absentOrFail(call: string, path: string): undefined {
  const e = koffi.errno();
  if (e === osConstants.errno.ENODATA || e === osConstants.errno.ENOTSUP) return undefined;
  return fail(call, path);
}

function split(ns: bigint): { tv_sec: bigint; tv_nsec: bigint } {
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
  if (cUtimensat(AT_FDCWD, path, [split(atimeNs), split(mtimeNs)], AT_SYMLINK_NOFOLLOW) !== 0) {
    fail('utimensat', path);
  }
}

/** futimens(2) on an open file; times in nanoseconds since the epoch. */
export function futimesNs(fd: number, atimeNs: bigint, mtimeNs: bigint, path: string): void {
  if (cFutimens(fd, [split(atimeNs), split(mtimeNs)]) !== 0) fail('futimens', path);
}
