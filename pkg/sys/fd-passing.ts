// Receiving a descriptor over a unix socket (SCM_RIGHTS), which Node's net cannot do: recvmsg(2)
// through koffi, bound on first use. runc sends a container's pty master this way.
import koffi, { type TypeObject } from 'koffi';
import { libc } from './libc.js';

type RecvmsgFn = (fd: number, msg: Record<string, unknown>, flags: number) => number | bigint;
let bound: { recvmsg: RecvmsgFn; iovec: TypeObject } | undefined;
function fns(): { recvmsg: RecvmsgFn; iovec: TypeObject } {
  if (!bound) {
    const iovec = koffi.struct('tsctr_iovec', { base: 'void *', len: 'size_t' });
    // Registered by name for the prototype below.
    koffi.struct('tsctr_msghdr', {
      name: 'void *',
      namelen: 'uint32_t',
      iov: 'void *',
      iovlen: 'size_t',
      control: 'void *',
      controllen: 'size_t',
      flags: 'int',
    });
    const recvmsg = libc().func(
      'intptr_t recvmsg(int fd, _Inout_ tsctr_msghdr *msg, int flags)',
    ) as unknown as RecvmsgFn;
    bound = { recvmsg, iovec };
  }
  return bound;
}

const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const EAGAIN = 11;

/**
 * Receives one descriptor from the connected unix socket `fd` (non-blocking), polling while nothing
 * has arrived, until `deadline` (a Date.now() value).
 */
export function receiveFd(fd: number, deadline: number): Promise<number> {
  const { recvmsg, iovec } = fns();
  const data = koffi.alloc('uint8_t', 4096);
  const ctrl = koffi.alloc('uint8_t', 64);
  const iov = koffi.alloc(iovec, 1);
  koffi.encode(iov, iovec, { base: data, len: 4096 });
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const msg = { name: null, namelen: 0, iov, iovlen: 1, control: ctrl, controllen: 64, flags: 0 };
      const n = Number(recvmsg(fd, msg, 0));
      if (n < 0) {
        if (koffi.errno() === EAGAIN && Date.now() < deadline) return void setTimeout(attempt, 5);
        return reject(new Error(`recvmsg on the console socket failed: errno ${koffi.errno()}`));
      }
      const c = Buffer.from(koffi.decode(ctrl, koffi.array('uint8_t', 24)) as number[]);
      if (c.readInt32LE(8) !== SOL_SOCKET || c.readInt32LE(12) !== SCM_RIGHTS) {
        return reject(new Error('console socket message carried no descriptor'));
      }
      resolve(c.readInt32LE(16));
    };
    attempt();
  });
}
