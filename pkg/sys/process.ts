// Process-level calls Node lacks: prctl(PR_SET_CHILD_SUBREAPER), waitpid on one pid (never -1: that
// would steal Node's own children's exits), pipe2, dup and dup2.
import { failedError, lazyFunc } from './libc.js';

const cPrctl = lazyFunc<(option: number, a2: number, a3: number, a4: number, a5: number) => number>(
  'int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)',
);
const cWaitpid = lazyFunc<(pid: number, status: number[], options: number) => number>(
  'int waitpid(int pid, _Out_ int *status, int options)',
);
const cPipe2 = lazyFunc<(fds: Int32Array, flags: number) => number>('int pipe2(_Out_ int *fds, int flags)');
const cDup = lazyFunc<(fd: number) => number>('int dup(int fd)');
const cDup2 = lazyFunc<(oldfd: number, newfd: number) => number>('int dup2(int oldfd, int newfd)');

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
const O_CLOEXEC = 0o2000000;

/** Orphaned descendants (the container's init once `runc create` exits) become our children. */
export function setSubreaper(): void {
  if (cPrctl()(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) throw failedError('prctl(PR_SET_CHILD_SUBREAPER)');
}

/**
 * Reaps `pid` if it has exited: its exit status the shell way (code, or 128+signal), else undefined.
 * ECHILD (not our child, or already reaped) also gives undefined.
 */
export function reap(pid: number): number | undefined {
  const status = [0];
  const r = cWaitpid()(pid, status, WNOHANG);
  if (r !== pid) return undefined;
  const s = status[0];
  const sig = s & 0x7f;
  if (sig === 0) return (s >> 8) & 0xff;
  return 128 + sig;
}

/** A pipe whose descriptors are not inherited by accident (we pass them explicitly). */
export function pipe(): [read: number, write: number] {
  const fds = new Int32Array(2);
  if (cPipe2()(fds, O_CLOEXEC) !== 0) throw failedError('pipe2');
  return [fds[0], fds[1]];
}

/** A second descriptor for the same open file. */
export function dup(fd: number): number {
  const r = cDup()(fd);
  if (r < 0) throw failedError('dup');
  return r;
}

/** Makes `newfd` refer to `oldfd`'s open file (a spare shim moving its stdio to its bundle's log). */
export function dup2(oldfd: number, newfd: number): void {
  if (cDup2()(oldfd, newfd) < 0) throw failedError('dup2');
}
