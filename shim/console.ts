// Terminals: runc sends the pty master over a console socket (SCM_RIGHTS), which Node's net cannot
// receive. We accept the connection paused (so libuv never reads and drops the descriptor) and take
// the message with recvmsg(2) through koffi. ioctl(TIOCSWINSZ) resizes.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const iovec = koffi.struct('tsctr_iovec', { base: 'void *', len: 'size_t' });
// Registered by name for the prototypes below.
koffi.struct('tsctr_msghdr', {
  name: 'void *',
  namelen: 'uint32_t',
  iov: 'void *',
  iovlen: 'size_t',
  control: 'void *',
  controllen: 'size_t',
  flags: 'int',
});
const cRecvmsg = libc.func('intptr_t recvmsg(int fd, _Inout_ tsctr_msghdr *msg, int flags)');
koffi.struct('tsctr_winsize', {
  row: 'uint16_t',
  col: 'uint16_t',
  xpixel: 'uint16_t',
  ypixel: 'uint16_t',
});
const cIoctlWinsize = libc.func('int ioctl(int fd, unsigned long req, tsctr_winsize *ws)');

const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const TIOCSWINSZ = 0x5414;
const EAGAIN = 11;

/** Receives one descriptor from a connected unix socket, polling while nothing has arrived. */
function receiveFd(fd: number, deadline: number): Promise<number> {
  const data = koffi.alloc('uint8_t', 4096);
  const ctrl = koffi.alloc('uint8_t', 64);
  const iov = koffi.alloc(iovec, 1);
  koffi.encode(iov, iovec, { base: data, len: 4096 });
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const msg = { name: null, namelen: 0, iov, iovlen: 1, control: ctrl, controllen: 64, flags: 0 };
      const n = Number(cRecvmsg(fd, msg, 0));
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

export class ConsoleSocket {
  readonly path: string;
  private readonly server: net.Server;
  private readonly master: Promise<number>;

  constructor(dir: string) {
    this.path = path.join(dir, `c-${randomBytes(6).toString('hex')}.sock`);
    let resolveMaster!: (fd: number) => void;
    let rejectMaster!: (e: Error) => void;
    this.master = new Promise((res, rej) => ((resolveMaster = res), (rejectMaster = rej)));
    this.master.catch(() => undefined);
    this.server = net.createServer({ pauseOnConnect: true }, (sock) => {
      const fd = (sock as unknown as { _handle: { fd: number } })._handle.fd;
      receiveFd(fd, Date.now() + 10_000)
        .then(resolveMaster, rejectMaster)
        .finally(() => sock.destroy());
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => this.server.listen(this.path, resolve).once('error', reject));
  }

  /** The pty master runc sent (after `runc create`/`exec` with --console-socket returned). */
  receive(timeoutMs = 10_000): Promise<number> {
    return Promise.race([
      this.master,
      new Promise<number>((_, reject) =>
        setTimeout(() => reject(new Error('runc sent no console')), timeoutMs).unref(),
      ),
    ]);
  }

  close(): void {
    this.server.close();
    rmSync(this.path, { force: true });
  }
}

export function resizePty(fd: number, width: number, height: number): void {
  if (cIoctlWinsize(fd, TIOCSWINSZ, { row: height, col: width, xpixel: 0, ypixel: 0 }) !== 0) {
    throw new Error(`ioctl(TIOCSWINSZ) failed: errno ${koffi.errno()}`);
  }
}
