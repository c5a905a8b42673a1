// openat(2): a file opened by its single name inside a directory handle. node:fs can only reach
// such a name through /proc/self/fd/N/name, a procfs walk that cost a layer apply ~3 µs per file.
import { lazyFunc, syscallError } from './libc.js';

const cOpenat = lazyFunc<(dirFd: number, name: string, flags: number, mode: number) => number>(
  'int openat(int dirfd, const char *path, int flags, uint32_t mode)',
);

/** Close-on-exec, as node:fs opens every file (not in fs.constants). */
const O_CLOEXEC = 0o2000000;

/** openat(2) with O_CLOEXEC added; throws a Node-style error (`code` = errno name) on failure. */
export function openAt(dirFd: number, name: string, flags: number, mode: number): number {
  const fd = cOpenat()(dirFd, name, flags | O_CLOEXEC, mode);
  if (fd < 0) throw syscallError('open', name);
  return fd;
}
