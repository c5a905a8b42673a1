// Network namespace calls: setns(2), and the socket + ioctl pair that reads and sets an interface's
// flags, bound on first use.
import { failedError, lazyFunc } from './libc.js';

export const CLONE_NEWNET = 0x40000000;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
export const IFF_UP = 0x1;

const cSetns = lazyFunc<(fd: number, type: number) => number>('int setns(int fd, int nstype)');
const cSocket = lazyFunc<(domain: number, type: number, proto: number) => number>(
  'int socket(int domain, int type, int protocol)',
);
const cIoctl = lazyFunc<(fd: number, req: number, arg: Buffer) => number>(
  'int ioctl(int fd, unsigned long req, _Inout_ uint8_t *arg)',
);
const cClose = lazyFunc<(fd: number) => number>('int close(int fd)');

/** setns(2): moves the calling thread into the namespace `fd` refers to. */
export function setns(fd: number, nstype: number): void {
  if (cSetns()(fd, nstype) !== 0) throw failedError('setns');
}

/** ORs `flags` into the interface `name`'s flags (in the calling thread's network namespace). */
export function setInterfaceFlags(name: string, flags: number): void {
  const s = cSocket()(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) throw failedError('socket');
  try {
    // struct ifreq: char ifr_name[16]; then a union whose first member is short ifr_flags.
    const ifr = Buffer.alloc(40);
    ifr.write(name, 0, 'latin1');
    if (cIoctl()(s, SIOCGIFFLAGS, ifr) !== 0) throw failedError('ioctl(SIOCGIFFLAGS)');
    ifr.writeInt16LE(ifr.readInt16LE(16) | flags, 16);
    if (cIoctl()(s, SIOCSIFFLAGS, ifr) !== 0) throw failedError('ioctl(SIOCSIFFLAGS)');
  } finally {
    cClose()(s);
  }
}

const cUnshare = lazyFunc<(flags: number) => number>('int unshare(int flags)');

/** unshare(2): the calling thread leaves for new namespaces of the kinds in `flags`. */
export function unshare(flags: number): void {
  if (cUnshare()(flags) !== 0) throw failedError('unshare');
}
