// The streaming server Exec, Attach and PortForward point at: plain HTTP on a loopback address, one-use
// URLs (a random token, valid for a minute), upgraded to SPDY/3.1 with the protocol the client offers
// (`v4.channel.k8s.io` for exec/attach, `portforward.k8s.io` for port-forward).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { SpdySession, type SpdyStream } from './spdy.js';

export const REMOTECOMMAND_V4 = 'v4.channel.k8s.io';
export const PORTFORWARD = 'portforward.k8s.io';
const TOKEN_TTL_MS = 60_000;
const STREAM_WAIT_MS = 30_000;

export interface Session {
  spdy: SpdySession;
  /** The streams opened so far by type ("error", "stdin", …); port-forward gets each as it comes. */
  streams: Map<string, SpdyStream>;
  waitFor(types: string[]): Promise<void>;
}

export type Handler = (s: Session) => Promise<void>;

interface Pending {
  kind: 'exec' | 'attach' | 'portforward';
  handler: Handler;
  expires: number;
}

export class StreamServer {
  private readonly server = http.createServer((_req, res) => {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('this endpoint only accepts SPDY/3.1 upgrades\n');
  });
  private readonly pending = new Map<string, Pending>();
  private base = '';

  constructor(private readonly log: Logger) {
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => this.upgrade(req, socket));
  }

  async listen(address: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.base = `http://${host}:${a.port}`;
  }

  /** A one-use URL for `handler`. */
  register(kind: Pending['kind'], handler: Handler): string {
    const now = Date.now();
    for (const [k, p] of this.pending) if (p.expires < now) this.pending.delete(k);
    const token = randomBytes(16).toString('base64url');
    this.pending.set(token, { kind, handler, expires: now + TOKEN_TTL_MS });
    return `${this.base}/${kind}/${token}`;
  }

  private refuse(socket: Duplex, code: number, msg: string): void {
    socket.end(
      `HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(msg)}\r\nConnection: close\r\n\r\n${msg}`,
    );
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex): void {
    socket.on('error', () => undefined);
    const m = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)$/.exec((req.url ?? '').split('?')[0]);
    const p = m ? this.pending.get(m[2]) : undefined;
    if (!m || !p || p.kind !== m[1] || p.expires < Date.now())
      return this.refuse(socket, 404, 'unknown or expired stream URL\n');
    this.pending.delete(m[2]);
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'spdy/3.1')
      return this.refuse(socket, 400, 'expected Upgrade: SPDY/3.1\n');
    const offered = ([] as string[])
      .concat(req.headers['x-stream-protocol-version'] ?? [])
      .flatMap((v) => v.split(','))
      .map((v) => v.trim());
    const want = p.kind === 'portforward' ? PORTFORWARD : REMOTECOMMAND_V4;
    if (!offered.includes(want))
      return this.refuse(
        socket,
        403,
        `protocol ${want} was not offered (got ${offered.join(', ') || 'none'})\n`,
      );
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${want}\r\n\r\n`,
    );
    const spdy = new SpdySession(socket);
    const streams = new Map<string, SpdyStream>();
    const waiters: Array<() => void> = [];
    spdy.on('stream', (s: SpdyStream) => {
      streams.set(s.headers.streamtype ?? '', s);
      for (const w of waiters.splice(0)) w();
    });
    spdy.on('error', (err: unknown) => this.log.debug({ err }, 'spdy session failed'));
    const session: Session = {
      spdy,
      streams,
      waitFor: async (types) => {
        const deadline = Date.now() + STREAM_WAIT_MS;
        while (!types.every((t) => streams.has(t))) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for streams ${types.join(', ')}`);
          await new Promise<void>((r) => {
            waiters.push(r);
            setTimeout(r, 500);
          });
        }
      },
    };
    p.handler(session).then(
      () => spdy.close(),
      (err: unknown) => {
        this.log.warn({ err, kind: p.kind }, 'stream session failed');
        const e = streams.get('error');
        if (e) e.end(Buffer.from((err as Error).message ?? String(err)));
        spdy.close();
      },
    );
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
