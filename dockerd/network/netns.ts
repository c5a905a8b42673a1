// Persistent network namespaces made without spawning `ip netns add`: the calling thread unshares a
// new namespace, bind-mounts it onto a file (so it outlives every process in it), brings `lo` up
// and returns to its own namespace before any other JavaScript can run. runc is then given the
// file's path, so the namespace is ready before the task exists (as CRI, podman and nerdctl do).
import { closeSync, constants, openSync, rmSync } from 'node:fs';
import koffi from 'koffi';

const CLONE_NEWNET = 0x40000000;
const MS_BIND = 0x1000;
const MNT_DETACH = 0x2;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;
const EINVAL = 22;
const ENOENT = 2;

interface Libc {
  unshare: (flags: number) => number;
  setns: (fd: number, type: number) => number;
  mount: (src: string, dst: string, type: string | null, flags: number, data: string | null) => number;
  umount2: (target: string, flags: number) => number;
  socket: (domain: number, type: number, proto: number) => number;
  ioctl: (fd: number, req: number, arg: Buffer) => number;
  close: (fd: number) => number;
}

let bound: Libc | undefined;

function libc(): Libc {
  if (!bound) {
    const lib = koffi.load('libc.so.6');
    const fn = <T>(decl: string) => lib.func(decl) as unknown as T;
    bound = {
      unshare: fn('int unshare(int flags)'),
      setns: fn('int setns(int fd, int nstype)'),
      mount: fn(
        'int mount(const char *src, const char *dst, const char *type, unsigned long flags, const char *data)',
      ),
      umount2: fn('int umount2(const char *target, int flags)'),
      socket: fn('int socket(int domain, int type, int protocol)'),
      ioctl: fn('int ioctl(int fd, unsigned long req, _Inout_ uint8_t *arg)'),
      close: fn('int close(int fd)'),
    };
  }
  return bound;
}

function fail(what: string): Error {
  const errno = koffi.errno();
  const e = new Error(`${what} failed: errno ${errno}`) as NodeJS.ErrnoException;
  e.errno = errno;
  return e;
}

/** Sets IFF_UP on `lo` of the namespace the calling thread is in. */
function loopbackUpHere(c: Libc): void {
  const s = c.socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) throw fail('socket');
  try {
    // struct ifreq: char ifr_name[16]; then a union whose first member is short ifr_flags.
    const ifr = Buffer.alloc(40);
    ifr.write('lo', 0, 'latin1');
    if (c.ioctl(s, SIOCGIFFLAGS, ifr) !== 0) throw fail('ioctl(SIOCGIFFLAGS)');
    ifr.writeInt16LE(ifr.readInt16LE(16) | IFF_UP, 16);
    if (c.ioctl(s, SIOCSIFFLAGS, ifr) !== 0) throw fail('ioctl(SIOCSIFFLAGS)');
  } finally {
    c.close(s);
  }
}

/** Runs `fn` with the calling thread inside namespace `nsFd`, and always comes back. */
function inNamespace<T>(c: Libc, enter: () => void, fn: () => T): T {
  const home = openSync('/proc/thread-self/ns/net', constants.O_RDONLY);
  try {
    enter();
    try {
      return fn();
    } finally {
      // Back home, whatever happened; a thread left in another namespace would be far worse.
      if (c.setns(home, CLONE_NEWNET) !== 0) throw fail('setns back');
    }
  } finally {
    closeSync(home);
  }
}

/** Makes a new network namespace pinned at `file` (which must not exist), with `lo` up. */
export function createNetns(file: string): void {
  const c = libc();
  closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_RDONLY, 0o444));
  try {
    inNamespace(
      c,
      () => {
        if (c.unshare(CLONE_NEWNET) !== 0) throw fail('unshare(CLONE_NEWNET)');
      },
      () => {
        if (c.mount('/proc/thread-self/ns/net', file, null, MS_BIND, null) !== 0) throw fail('mount netns');
        loopbackUpHere(c);
      },
    );
  } catch (err) {
    removeNetns(file);
    throw err;
  }
}

/** Runs `fn` inside the namespace pinned at `file` (or any nsfs path such as /proc/PID/ns/net). */
export function withNetns<T>(file: string, fn: () => T): T {
  const c = libc();
  const target = openSync(file, constants.O_RDONLY);
  try {
    return inNamespace(
      c,
      () => {
        if (c.setns(target, CLONE_NEWNET) !== 0) throw fail('setns');
      },
      fn,
    );
  } finally {
    closeSync(target);
  }
}

/** Unpins and removes a namespace file; a missing or unmounted one is fine (idempotent). */
export function removeNetns(file: string): void {
  const c = libc();
  if (c.umount2(file, MNT_DETACH) !== 0) {
    const errno = koffi.errno();
    if (errno !== EINVAL && errno !== ENOENT) throw fail(`umount ${file}`);
  }
  rmSync(file, { force: true });
}
