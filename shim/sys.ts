// The few syscalls Node lacks, through koffi (an FFI shipped prebuilt in its npm package):
// prctl(PR_SET_CHILD_SUBREAPER), waitpid on one pid (never -1: that would steal Node's own
// children's exits), pipe2.
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const cPrctl = libc.func(
  'int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)',
);
const cWaitpid = libc.func('int waitpid(int pid, _Out_ int *status, int options)');
const cPipe2 = libc.func('int pipe2(_Out_ int *fds, int flags)');
const cDup = libc.func('int dup(int fd)');
const cDup2 = libc.func('int dup2(int oldfd, int newfd)');

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
const O_CLOEXEC = 0o2000000;

function errno(what: string): Error {
  const e = new Error(`${what} failed: errno ${koffi.errno()}`) as NodeJS.ErrnoException;
  e.errno = koffi.errno();
  return e;
}

/** Orphaned descendants (the container's init once `runc create` exits) become our children. */
export function setSubreaper(): void {
  if (cPrctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) throw errno('prctl(PR_SET_CHILD_SUBREAPER)');
}

/**
 * Reaps `pid` if it has exited: its exit status the shell way (code, or 128+signal), else undefined.
 * ECHILD (not our child, or already reaped) also gives undefined.
 */
export function reap(pid: number): number | undefined {
  const status = [0];
  const r = cWaitpid(pid, status, WNOHANG) as number;
  if (r !== pid) return undefined;
  const s = status[0];
  const sig = s & 0x7f;
  if (sig === 0) return (s >> 8) & 0xff;
  return 128 + sig;
}

/** A pipe whose descriptors are not inherited by accident (we pass them explicitly). */
export function pipe(): [read: number, write: number] {
  const fds = new Int32Array(2);
  if (cPipe2(fds, O_CLOEXEC) !== 0) throw errno('pipe2');
  return [fds[0], fds[1]];
}

/** A second descriptor for the same open file. */
export function dup(fd: number): number {
  const r = cDup(fd) as number;
  if (r < 0) throw errno('dup');
  return r;
}

/** Makes `newfd` refer to `oldfd`'s open file (a spare shim moving its stdio to its bundle's log). */
export function dup2(oldfd: number, newfd: number): void {
  if ((cDup2(oldfd, newfd) as number) < 0) throw errno('dup2');
}
