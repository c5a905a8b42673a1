// Terminals: runc sends the pty master over a console socket (SCM_RIGHTS), which Node's net cannot
// receive. We accept the connection paused (so libuv never reads and drops the descriptor) and take
// the message with pkg/sys's recvmsg. pkg/sys's ioctl(TIOCSWINSZ) resizes.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { receiveFd } from '../pkg/sys/fd-passing.js';

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

export { resizePty } from '../pkg/sys/tty.js';
