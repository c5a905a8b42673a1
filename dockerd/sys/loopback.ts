// Brings up `lo` inside a container's network namespace without spawning `nsenter ip link`: the
// calling thread enters the namespace (setns affects only that thread), sets IFF_UP on lo with
// two ioctls, and returns to its own namespace before any other JavaScript can run.
import { closeSync, constants, openSync } from 'node:fs';
import koffi from 'koffi';

const CLONE_NEWNET = 0x40000000;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;

type Fns = {
  setns: (fd: number, type: number) => number;
  socket: (domain: number, type: number, proto: number) => number;
  ioctl: (fd: number, req: number, arg: Buffer) => number;
  close: (fd: number) => number;
};

let fns: Fns | undefined;

function libc(): Fns {
  if (!fns) {
    const lib = koffi.load('libc.so.6');
    fns = {
      setns: lib.func('int setns(int fd, int nstype)') as unknown as Fns['setns'],
      socket: lib.func('int socket(int domain, int type, int protocol)') as unknown as Fns['socket'],
      ioctl: lib.func(
        'int ioctl(int fd, unsigned long req, _Inout_ uint8_t *arg)',
      ) as unknown as Fns['ioctl'],
      close: lib.func('int close(int fd)') as unknown as Fns['close'],
    };
  }
  return fns;
}

function fail(what: string): Error {
  return new Error(`${what} failed: errno ${koffi.errno()}`);
}

export function loopbackUp(pid: number): void {
  const c = libc();
  const target = openSync(`/proc/${pid}/ns/net`, constants.O_RDONLY);
  const home = openSync('/proc/thread-self/ns/net', constants.O_RDONLY);
  try {
    if (c.setns(target, CLONE_NEWNET) !== 0) throw fail('setns');
    try {
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
    } finally {
      // Back home, whatever happened; a thread left in the container's namespace would be far worse.
      if (c.setns(home, CLONE_NEWNET) !== 0) throw fail('setns back');
    }
  } finally {
    closeSync(target);
    closeSync(home);
  }
}
