// The subset of SPDY/3.1 that Kubernetes' remotecommand and port-forward clients speak (moby/spdystream
// on their side): the client opens streams (SYN_STREAM, headers in one zlib context per direction
// primed with SPDY/3's dictionary), we answer each with SYN_REPLY, data flows in DATA frames, FIN ends a
// direction; PING is echoed; GOAWAY ends the session. No flow control frames: spdystream handles none.
import { EventEmitter } from 'node:events';
import { type Duplex, PassThrough } from 'node:stream';
import zlib from 'node:zlib';

const WORDS = [
  'options',
  'head',
  'post',
  'put',
  'delete',
  'trace',
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'age',
  'allow',
  'authorization',
  'cache-control',
  'connection',
  'content-base',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'etag',
  'expect',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'pragma',
  'proxy-authenticate',
  'proxy-authorization',
  'range',
  'referer',
  'retry-after',
  'server',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'vary',
  'via',
  'warning',
  'www-authenticate',
  'method',
  'get',
  'status',
  '200 OK',
  'version',
  'HTTP/1.1',
  'url',
  'public',
  'set-cookie',
  'keep-alive',
  'origin',
];
const TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/** SPDY/3's zlib dictionary: each word with a 4-byte big-endian length, then the tail text. */
export const DICTIONARY: Buffer = Buffer.concat([
  ...WORDS.map((w) => {
    const b = Buffer.alloc(4 + w.length);
    b.writeUInt32BE(w.length, 0);
    b.write(w, 4, 'latin1');
    return b;
  }),
  Buffer.from(TAIL, 'latin1'),
]);

const enum Type {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}
export const FLAG_FIN = 1;

export function encodeHeaders(h: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(4);
  n.writeUInt32BE(Object.keys(h).length, 0);
  parts.push(n);
  for (const [k, v] of Object.entries(h)) {
    for (const s of [k.toLowerCase(), v]) {
      const b = Buffer.from(s, 'utf8');
      const l = Buffer.alloc(4);
      l.writeUInt32BE(b.length, 0);
      parts.push(l, b);
    }
  }
  return Buffer.concat(parts);
}

export function decodeHeaders(b: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let o = 0;
  const take = () => {
    if (o + 4 > b.length) throw new Error('spdy: truncated header block');
    const l = b.readUInt32BE(o);
    o += 4;
    if (o + l > b.length) throw new Error('spdy: truncated header block');
    const s = b.subarray(o, o + l).toString('utf8');
    o += l;
    return s;
  };
  const count = b.length >= 4 ? b.readUInt32BE(0) : 0;
  o = 4;
  for (let i = 0; i < count; i++) {
    const k = take().toLowerCase();
    out[k] = take();
  }
  return out;
}

/** One zlib stream per direction; each header block is one sync-flushed chunk of it. */
class ZContext {
  private readonly z: zlib.Inflate | zlib.Deflate;
  private chunks: Buffer[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(inflate: boolean) {
    this.z = inflate
      ? zlib.createInflate({ dictionary: DICTIONARY })
      : zlib.createDeflate({ dictionary: DICTIONARY });
    this.z.on('data', (d: Buffer) => this.chunks.push(d));
    this.z.on('error', () => undefined);
  }

  run(input: Buffer): Promise<Buffer> {
    const p = this.queue.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const onError = (e: Error) => reject(e);
          this.z.once('error', onError);
          this.z.write(input);
          this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            this.z.off('error', onError);
            // 'data' events of this flush have all been emitted by the time the callback runs.
            setImmediate(() => {
              const out = Buffer.concat(this.chunks);
              this.chunks = [];
              resolve(out);
            });
          });
        }),
    );
    this.queue = p.catch(() => undefined);
    return p;
  }

  close(): void {
    this.z.destroy();
  }
}

export class SpdyStream extends EventEmitter {
  remoteClosed = false;
  localClosed = false;
  /** What the peer sent, buffered until read (data may arrive before anyone listens); ends at its FIN. */
  readonly incoming = new PassThrough();

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: Record<string, string>,
  ) {
    super();
  }

  write(data: Buffer): void {
    if (this.localClosed) return;
    for (let o = 0; o < data.length; o += 16384) this.session.data(this.id, data.subarray(o, o + 16384), 0);
  }

  /** Half-closes our side (DATA with FIN). */
  end(data?: Buffer): void {
    if (this.localClosed) return;
    if (data && data.length) this.write(data);
    this.localClosed = true;
    this.session.data(this.id, Buffer.alloc(0), FLAG_FIN);
  }
}

/**
 * The server side of a SPDY/3.1 session over an upgraded socket. 'stream' is emitted once a stream's
 * SYN_REPLY has been written (so data written to it is accepted by the peer).
 */
export class SpdySession extends EventEmitter {
  private buf = Buffer.alloc(0);
  private readonly inflate = new ZContext(true);
  private readonly deflate = new ZContext(false);
  private readonly streams = new Map<number, SpdyStream>();
  private work: Promise<void> = Promise.resolve();
  private closed = false;
  private lastStream = 0;

  constructor(private readonly socket: Duplex) {
    super();
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
    });
    socket.on('close', () => this.teardown());
    socket.on('error', () => this.teardown());
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    this.inflate.close();
    this.deflate.close();
    for (const s of this.streams.values()) {
      s.remoteClosed = true;
      s.incoming.end();
      s.emit('close');
    }
    this.emit('close');
  }

  private parse(): void {
    while (this.buf.length >= 8) {
      const len = this.buf.readUIntBE(5, 3);
      if (this.buf.length < 8 + len) return;
      const frame = this.buf.subarray(0, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      // Frames are handled in order; a SYN_STREAM's headers inflate asynchronously.
      this.work = this.work.then(() => this.frame(frame)).catch((e: unknown) => this.fail(e));
    }
  }

  private fail(e: unknown): void {
    this.emit('error', e);
    this.close();
  }

  private async frame(f: Buffer): Promise<void> {
    const flags = f[4];
    const payload = f.subarray(8);
    if ((f[0] & 0x80) === 0) {
      const id = f.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      if (!s) return;
      if (payload.length && !s.remoteClosed) s.incoming.write(Buffer.from(payload));
      if (flags & FLAG_FIN && !s.remoteClosed) {
        s.remoteClosed = true;
        s.incoming.end();
      }
      return;
    }
    const version = f.readUInt16BE(0) & 0x7fff;
    const type = f.readUInt16BE(2);
    if (version !== 3) throw new Error(`spdy: version ${version} is not supported`);
    switch (type) {
      case Type.SynStream: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaders(await this.inflate.run(payload.subarray(10)));
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        this.lastStream = Math.max(this.lastStream, id);
        await this.control(Type.SynReply, 0, id, encodeHeaders({}));
        if (flags & FLAG_FIN) {
          s.remoteClosed = true;
          s.incoming.end();
        }
        this.emit('stream', s);
        return;
      }
      case Type.RstStream: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const s = this.streams.get(id);
        if (s) {
          s.remoteClosed = true;
          s.localClosed = true;
          s.incoming.end();
          s.emit('close');
        }
        return;
      }
      case Type.Headers: {
        // Headers after the stream opened carry nothing the remotecommand protocol uses; keep the
        // inflate context in step.
        await this.inflate.run(payload.subarray(4));
        return;
      }
      case Type.Ping:
        this.raw(f);
        return;
      case Type.GoAway:
        this.close();
        return;
      case Type.Settings:
      case Type.WindowUpdate:
      default:
        return;
    }
  }

  private raw(b: Buffer): void {
    if (!this.closed) this.socket.write(b);
  }

  private async control(type: Type, flags: number, id: number, headerBlock: Buffer): Promise<void> {
    const z = await this.deflate.run(headerBlock);
    const head = Buffer.alloc(12);
    head.writeUInt16BE(0x8003, 0);
    head.writeUInt16BE(type, 2);
    head.writeUInt32BE(4 + z.length, 4);
    head[4] = flags;
    head.writeUInt32BE(id & 0x7fffffff, 8);
    this.raw(Buffer.concat([head, z]));
  }

  /** A DATA frame; queued behind pending control frames so a stream's reply always precedes its data. */
  data(id: number, d: Buffer, flags: number): void {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(id & 0x7fffffff, 0);
    head.writeUInt32BE(d.length, 4);
    head[4] = flags;
    this.work = this.work.then(() => this.raw(Buffer.concat([head, d])));
  }

  /** GOAWAY, then the socket ends once queued frames are out. */
  close(): void {
    if (this.closed) return;
    const g = Buffer.alloc(16);
    g.writeUInt16BE(0x8003, 0);
    g.writeUInt16BE(Type.GoAway, 2);
    g.writeUInt32BE(8, 4);
    g.writeUInt32BE(this.lastStream, 8);
    g.writeUInt32BE(0, 12);
    void this.work.then(() => {
      this.raw(g);
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    });
  }
}
