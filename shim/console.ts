// Terminals: runc sends the pty master over a console socket (SCM_RIGHTS), which Node's net cannot
// receive. We accept the connection paused (so libuv never reads and drops the descriptor) and take
// the message with pkg/sys's recvmsg. pkg/sys's ioctl(TIOCSWINSZ) resizes.
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { receiveFd } from '../pkg/sys/fd-passing.js';

let made = 0;

export class ConsoleSocket {
  readonly path: string;
  private readonly server: net.Server;
  private readonly master: Promise<number>;

  constructor(dir: string) {
    // Unique in this shim's directory (root's, 0711): pid, a counter and the time, no node:crypto.
    this.path = path.join(dir, `c-${process.pid}-${++made}-${Date.now().toString(36)}.sock`);
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
