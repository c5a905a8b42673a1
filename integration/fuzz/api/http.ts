// One raw HTTP/1.1 exchange over the Docker socket with a deadline: the fuzzer sends what no client
// library would (bad Content-Length, odd headers, invalid JSON) and stops reading streams after a
// while. Returns the status (0 when the daemon closed without answering, -1 on the client timeout).
import net from 'node:net';

export interface Exchange {
  status: number;
  body: string;
  /** The client stopped reading (a stream or a request the daemon still waits on). */
  timedOut: boolean;
}

export function exchange(socket: string, head: string, body: Buffer, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      // Past any interim answer (100 Continue) to the final one.
      let at = 0;
      let m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      while (m && m[1].startsWith('1')) {
        at = text.indexOf('\r\n\r\n', at) + 4;
        if (at < 4) break;
        const next = /^HTTP\/1\.[01] (\d{3})/.exec(text.slice(at));
        if (!next) break;
        m = next;
      }
      const i = text.indexOf('\r\n\r\n', at);
      resolve({
        status: m ? Number(m[1]) : timedOut ? -1 : 0,
        body: i >= 0 ? text.slice(i + 4, i + 4 + 2000) : '',
        timedOut,
      });
    };
    const t = setTimeout(() => finish(true), timeoutMs);
    s.on('error', () => finish(false));
    s.on('close', () => finish(false));
    s.on('data', (d: Buffer) => {
      if (size < 64 * 1024) chunks.push(d);
      size += d.length;
    });
    // One write: a daemon answering before it reads the body (and closing) would otherwise make the
    // body's write fail with EPIPE, and the answer be lost with the socket.
    s.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  });
}
