// Extended attributes (the *xattr family), bound on first use. Failures throw Node-style errors.
import { constants as osConstants } from 'node:os';
import { errno, lazyFunc, syscallError } from './libc.js';

type SetFn = (path: string, name: string, value: Buffer, size: number, flags: number) => number;
const cSetxattr = lazyFunc<SetFn>(
  'int setxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
);
const cLsetxattr = lazyFunc<SetFn>(
  'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
);
const cFsetxattr = lazyFunc<(fd: number, name: string, value: Buffer, size: number, flags: number) => number>(
  'int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)',
);
const cLgetxattr = lazyFunc<(path: string, name: string, value: Buffer | null, size: number) => number>(
  'intptr_t lgetxattr(const char *path, const char *name, void *value, size_t size)',
);
const cLlistxattr = lazyFunc<(path: string, list: Buffer | null, size: number) => number>(
  'intptr_t llistxattr(const char *path, void *list, size_t size)',
);

/** setxattr(2): follows a final symlink (used on /proc/self/fd/N handles). */
export function setxattr(path: string, name: string, value: Buffer): void {
  if (cSetxattr()(path, name, value, value.length, 0) !== 0)
    throw syscallError('setxattr', `${path} (${name})`);
}

/** lsetxattr(2): never follows a final symlink. */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  if (cLsetxattr()(path, name, value, value.length, 0) !== 0)
    throw syscallError('lsetxattr', `${path} (${name})`);
}

/** fsetxattr(2) on an open file; `path` only words the error. */
export function fsetxattr(fd: number, name: string, value: Buffer, path: string): void {
  if (cFsetxattr()(fd, name, value, value.length, 0) !== 0)
    throw syscallError('fsetxattr', `${path} (${name})`);
}

/** lgetxattr(2); undefined when the attribute is absent or xattrs are unsupported. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  for (;;) {
    const size = cLgetxattr()(path, name, null, 0);
    if (size < 0) return absentOrFail('lgetxattr', path);
    const buf = Buffer.alloc(size);
    const got = cLgetxattr()(path, name, buf, size);
    if (got >= 0) return buf.subarray(0, got);
    if (errno() !== osConstants.errno.ERANGE) return absentOrFail('lgetxattr', path);
  }
}

/** llistxattr(2); [] when xattrs are unsupported. */
export function llistxattr(path: string): string[] {
  for (;;) {
    const size = cLlistxattr()(path, null, 0);
    if (size < 0) return absentOrFail('llistxattr', path) ?? [];
    if (size === 0) return [];
    const buf = Buffer.alloc(size);
    const got = cLlistxattr()(path, buf, size);
    if (got >= 0) {
      return buf
        .subarray(0, got)
        .toString('utf8')
        .split('\0')
        .filter((n) => n !== '');
    }
    if (errno() !== osConstants.errno.ERANGE) return absentOrFail('llistxattr', path) ?? [];
  }
}

function absentOrFail(call: string, path: string): undefined {
  const e = errno();
  if (e === osConstants.errno.ENODATA || e === osConstants.errno.ENOTSUP) return undefined;
  throw syscallError(call, path);
}
