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
const cMount = libc.func(
  'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
);

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

const MS_RDONLY = 0x1;
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;
const MS_REMOUNT = 0x20;
const MS_NOATIME = 0x400;
const MS_NODIRATIME = 0x800;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;

const FLAGS: Record<string, number> = {
  ro: MS_RDONLY,
  rw: 0,
  nosuid: MS_NOSUID,
  nodev: MS_NODEV,
  noexec: MS_NOEXEC,
  noatime: MS_NOATIME,
  nodiratime: MS_NODIRATIME,
  bind: MS_BIND,
  rbind: MS_BIND | MS_REC,
};

/**
 * mount(2) of one containerd Mount (overlay, bind, tmpfs…): options that are flags become flags,
 * the rest the filesystem's data string. A read-only bind takes a second, remounting call.
 */
export function mountSyscall(m: { type: string; source: string; options: string[] }, target: string): void {
  let flags = 0;
  const data: string[] = [];
  for (const o of m.options) {
    if (o in FLAGS) flags |= FLAGS[o];
    else data.push(o);
  }
  const type = m.type === 'bind' ? '' : m.type;
  if (m.type === 'bind') flags |= MS_BIND | (m.options.includes('bind') ? 0 : MS_REC);
  const bind = (flags & MS_BIND) !== 0;
  // A bind ignores MS_RDONLY on its first call: read-only takes a remount.
  const first = bind ? flags & ~MS_RDONLY : flags;
  if ((cMount(m.source, target, type, first, data.join(',')) as number) !== 0) throw errno('mount');
  if (bind && flags & MS_RDONLY) {
    if ((cMount('', target, '', MS_BIND | MS_REMOUNT | MS_RDONLY, '') as number) !== 0)
      throw errno('remount');
  }
}
