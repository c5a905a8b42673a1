// Per-request view handed to route handlers: query helpers, a bounded body reader, response writers
// (plain JSON, JSON-lines streams, raw streams) and connection hijacking for attach and exec start.

import { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Readable, type Writable } from 'node:stream';
import type { Logger } from 'pino';
import { InvalidParameter, RequestTooLarge, parseJsonText } from '../errdefs/index.js';
import { type JsonStreamWriter, encodeJson, errorMessage as jsonError } from '../wire/jsonmessage.js';

export type { JsonStreamWriter };
import { collect, readUpgradeBody } from './body.js';
import { HijackedStream, RAW_STREAM } from './hijacked-stream.js';

export { HijackedStream, RAW_STREAM, hijackError } from './hijacked-stream.js';

export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** How much of an oversized body is read and dropped before the 413, at most (and for how long). */
const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
const DRAIN_MS = 5000;
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

/** moby's versions.compare: dot-separated numbers, missing or non-numeric parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? '0', 10) || 0;
    const y = Number.parseInt(pb[i] ?? '0', 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The socket and the bytes Node read past the headers, for requests that came in as 'upgrade'. */
export interface UpgradeInfo {
  socket: Socket;
  head: Buffer;
}

export interface ContextOptions {
  /** Default bound for body() and json(). */
  maxBodyBytes?: number;
  /** Set when the request arrived through the server's 'upgrade' event. */
  upgrade?: UpgradeInfo;
  /** Api-Version, Docker-Experimental, Ostype, Server: repeated on a hijack when asked. */
  commonHeaders?: Record<string, string>;
  log?: Logger;
  /** Request path with the /vX.Y prefix and query removed. */
  path?: string;
  /** Told when the connection is taken over, so the server stops managing it. */
  onHijack?: (socket: Socket) => void;
}

export interface BodyOptions {
  /** Byte bound; more gives RequestTooLarge (413, an InvalidParameter). */
  limit?: number;
}

export interface JsonOptions extends BodyOptions {
  /** Throw InvalidParameter on an empty body instead of returning undefined. */
  required?: boolean;
}

export interface HijackOptions {
  /** Content-Type of the stream; default application/vnd.docker.raw-stream. */
  contentType?: string;
  /** Repeat Api-Version, Docker-Experimental, Ostype and Server in the 101/200 head (exec start does). */
  extraHeaders?: boolean;
  /** Hold the status line until the first write or end(), so hijackError can still send a real status. */
  deferHeader?: boolean;
}

export class RequestContext {
  readonly query: URLSearchParams;
  /** Path without the version prefix and query. */
  readonly path: string;
  readonly log: Logger | undefined;
  /** Aborted when the client goes away (close, or FIN on a non-hijacked request). */
  readonly signal: AbortSignal;

  private readonly abortController = new AbortController();
  private readonly opts: ContextOptions;
  private bodyPromise: Promise<Buffer> | undefined;
  private rawTaken = false;
  private leftover: Buffer = Buffer.alloc(0);
  private hijackedStream: HijackedStream | undefined;
  private kind: 'json' | 'raw' | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly params: Record<string, string>,
    readonly apiVersion: string,
    opts: ContextOptions = {},
  ) {
    this.opts = opts;
    this.log = opts.log;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
    this.path = opts.path ?? (q >= 0 ? url.slice(0, q) : url);
    this.signal = this.abortController.signal;
    res.once('close', () => {
      if (!res.writableFinished && !this.hijackedStream) this.abort();
    });
  }

  /** Mark the client as gone (the server calls this on FIN); handlers see ctx.signal abort. */
  abort(): void {
    if (!this.signal.aborted) this.abortController.abort();
  }

  /** True if the request came with `Connection: Upgrade` (attach/exec start from the CLI, docker-py). */
  get isUpgrade(): boolean {
    return this.opts.upgrade !== undefined;
  }

  /** The hijacked stream, once hijack() ran. */
  get hijacked(): HijackedStream | undefined {
    return this.hijackedStream;
  }

  /** 'json' after streamJson(), 'raw' after startStream(); the server uses it to report late errors. */
  get streamKind(): 'json' | 'raw' | undefined {
    return this.kind;
  }

  /** apiVersion >= v. */
  versionAtLeast(v: string): boolean {
    return compareVersions(this.apiVersion, v) >= 0;
  }

  // ---- query ---------------------------------------------------------------------------------

  /** moby's BoolValue: absent gives `dflt`; '', 0, no, false, none (any case) give false; else true. */
  bool(name: string, dflt = false): boolean {
    const v = this.query.get(name);
    if (v === null) return dflt;
    const s = v.trim().toLowerCase();
    return !(s === '' || s === '0' || s === 'no' || s === 'false' || s === 'none');
  }

  /** Integer parameter; absent or empty gives `dflt`, anything but an integer gives InvalidParameter. */
  int(name: string, dflt: number): number {
    const v = this.query.get(name);
    if (v === null || v.trim() === '') return dflt;
    const s = v.trim();
    if (!/^[+-]?\d+$/.test(s)) throw new InvalidParameter(`strconv.ParseInt: parsing "${v}": invalid syntax`);
    const n = Number(s);
    if (!Number.isSafeInteger(n))
      throw new InvalidParameter(`strconv.ParseInt: parsing "${v}": value out of range`);
    return n;
  }

  /** First value of a parameter, undefined if absent. */
  str(name: string): string | undefined {
    return this.query.get(name) ?? undefined;
  }

  /** All values of a repeated parameter. */
  strs(name: string): string[] {
    return this.query.getAll(name);
  }

  // ---- body ----------------------------------------------------------------------------------

  private get bodyLimit(): number {
    return this.opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  private tooLarge(): RequestTooLarge {
    // The rest of the body is never read, so the connection cannot be reused.
    if (!this.res.headersSent) this.res.setHeader('Connection', 'close');
    return new RequestTooLarge();
  }

  /**
   * Reads and drops what is left of an oversized body (up to DRAIN_MAX_BYTES, DRAIN_MS), so a client
   * that sends the whole body before reading gets the 413 instead of a reset connection.
   */
  private async drainThenTooLarge(): Promise<never> {
    const req = this.req;
    if (!this.opts.upgrade && !req.complete) {
      await new Promise<void>((resolve) => {
        let seen = 0;
        const done = () => {
          clearTimeout(timer);
          req.off('data', onData).off('end', done).off('close', done);
          resolve();
        };
        const onData = (c: Buffer) => {
          seen += c.length;
          if (seen > DRAIN_MAX_BYTES) done();
        };
        const timer = setTimeout(done, DRAIN_MS);
        req.on('data', onData).once('end', done).once('close', done);
        req.resume();
      });
    }
    throw this.tooLarge();
  }

  /** The whole body, read once and cached (later calls return the same bytes whatever their limit). */
  body(opts: BodyOptions = {}): Promise<Buffer> {
    if (!this.bodyPromise) {
      if (this.rawTaken) return Promise.reject(new Error('request body already taken as a stream'));
      this.bodyPromise = this.readBody(opts.limit ?? this.bodyLimit);
      this.bodyPromise.catch(() => undefined);
    }
    return this.bodyPromise;
  }

  private async readBody(limit: number): Promise<Buffer> {
    const declared = this.req.headers['content-length'];
    const length = declared === undefined ? undefined : Number(declared);
    if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
      throw new InvalidParameter(`invalid Content-Length: ${declared}`);
    }
    if (length !== undefined && length > limit) return this.drainThenTooLarge();
    const up = this.opts.upgrade;
    if (!up) {
      try {
        return await collect(this.req, limit);
      } catch (err) {
        if (err instanceof RequestTooLarge) return this.drainThenTooLarge();
        throw err;
      }
    }
    if (length === undefined && this.req.headers['transfer-encoding']) {
      throw new InvalidParameter('chunked request bodies are not supported with Connection: Upgrade');
    }
    const { body, rest } = await readUpgradeBody(up.socket, up.head, length ?? 0);
    this.leftover = rest;
    return body;
  }

  /**
   * Parse the body as JSON (Go-like messages on bad input). Empty or blank body: undefined, or
   * InvalidParameter when `required`. Cached: calling it before or after hijack() both work.
   */
  async json<T>(opts: JsonOptions & { required: true }): Promise<T>;
  async json<T>(opts?: JsonOptions): Promise<T | undefined>;
  async json<T>(opts: JsonOptions = {}): Promise<T | undefined> {
    const text = (await this.body(opts)).toString('utf8');
    if (text.trim() === '') {
      if (opts.required) throw new InvalidParameter('invalid JSON: got EOF while reading request body');
      return undefined;
    }
    return parseJsonText(text) as T;
  }

  /** The body as a stream, unbounded (image load, build context, archive upload). */
  raw(): Readable {
    if (!this.bodyPromise && !this.opts.upgrade) {
      this.rawTaken = true;
      return this.req;
    }
    if (!this.bodyPromise) {
      this.bodyPromise = this.readBody(Number.POSITIVE_INFINITY);
      this.bodyPromise.catch(() => undefined);
    }
    const pending = this.bodyPromise;
    return Readable.from(
      (async function* () {
        const buf = await pending;
        if (buf.length) yield buf;
      })(),
    );
  }

  // ---- responses -----------------------------------------------------------------------------

  /** JSON body, Content-Length set, newline-terminated like Go's encoder. */
  sendJson(status: number, value: unknown): void {
    const body = Buffer.from(`${encodeJson(value)}\n`);
    this.res.statusCode = status;
    this.res.setHeader('Content-Type', 'application/json');
    this.res.setHeader('Content-Length', body.length);
    this.res.end(body);
  }

  /** A complete non-JSON body (`contentType` omitted: no Content-Type header). */
  send(status: number, body: string | Buffer, contentType?: string): void {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    this.res.statusCode = status;
    if (contentType) this.res.setHeader('Content-Type', contentType);
    this.res.setHeader('Content-Length', buf.length);
    this.res.end(buf);
  }

  /** Status with an empty body (`Content-Length: 0`), e.g. 200 for network connect, 201 for tag. */
  sendStatus(status: number): void {
    this.res.statusCode = status;
    this.res.end();
  }

  /** 204 No Content. */
  noContent(): void {
    this.sendStatus(204);
  }

  /** 304 Not Modified, empty. */
  notModified(): void {
    this.sendStatus(304);
  }

  /** Send the status line and headers now (chunked body follows), as the wait endpoint does. */
  flushHeaders(status = 200): void {
    if (this.res.headersSent) return;
    this.res.statusCode = status;
    this.res.flushHeaders();
  }

  /**
   * Start a 200 chunked application/json stream of one value per line (`\r\n` after each value, as
   * pull/push/build/load write; pass `separator: '\n'` for events and wait).
   */
  streamJson(opts: { separator?: string; status?: number } = {}): JsonStreamWriter {
    const sep = opts.separator ?? '\r\n';
    const res = this.res;
    if (!res.headersSent) {
      res.setHeader('Content-Type', 'application/json');
      this.flushHeaders(opts.status ?? 200);
    }
    this.kind = 'json';
    const closed = (): boolean => res.writableEnded || res.destroyed;
    return {
      write: (value) => (closed() ? false : res.write(encodeJson(value) + sep)),
      fail: (message, code) => {
        if (closed()) return;
        res.end(encodeJson(jsonError(message, code)) + sep);
      },
      end: () => {
        if (!closed()) res.end();
      },
      get closed() {
        return closed();
      },
    };
  }

  /** Start a chunked raw body (logs, export, image save) and return the writable to fill. */
  startStream(opts: { contentType?: string; status?: number } = {}): Writable {
    if (!this.res.headersSent) {
      if (opts.contentType) this.res.setHeader('Content-Type', opts.contentType);
      this.flushHeaders(opts.status ?? 200);
    }
    this.kind = 'raw';
    return this.res;
  }

  // ---- hijack --------------------------------------------------------------------------------

  /**
   * Take over the connection for a raw bidirectional stream. With `Connection: Upgrade` the head is
   * `101 UPGRADED` and the readable side carries stdin (bytes after the request body), ending when the
   * client half-closes; the writable side stays usable after that. Without Upgrade the head is
   * `200 OK` (no chunking, the connection closes at the end) and the readable side is empty.
   * The request body is read first (bounded; its JSON stays available through json()).
   */
  async hijack(opts: HijackOptions = {}): Promise<HijackedStream> {
    if (this.hijackedStream) throw new Error('connection already hijacked');
    if (this.res.headersSent) throw new Error('cannot hijack: response already started');
    if (!this.rawTaken) await this.body();
    const extra = opts.extraHeaders ? Object.entries(this.opts.commonHeaders ?? {}) : [];
    const lines = [`Content-Type: ${opts.contentType ?? RAW_STREAM}`];
    const up = this.opts.upgrade;
    let stream: HijackedStream;
    if (up) {
      lines.push('Connection: Upgrade', 'Upgrade: tcp');
      for (const [k, v] of extra) lines.push(`${k}: ${v}`);
      this.res.detachSocket(up.socket);
      stream = new HijackedStream(up.socket, {
        header: `HTTP/1.1 101 UPGRADED\r\n${lines.join('\r\n')}\r\n\r\n`,
        leftover: this.leftover,
        readable: true,
      });
    } else {
      for (const [k, v] of extra) lines.push(`${k}: ${v}`);
      stream = new HijackedStream(this.req.socket, {
        header: `HTTP/1.1 200 OK\r\n${lines.join('\r\n')}\r\n\r\n`,
        readable: false,
      });
    }
    this.leftover = Buffer.alloc(0);
    this.hijackedStream = stream;
    this.opts.onHijack?.(stream.socket);
    stream.once('close', () => this.abort());
    if (!opts.deferHeader) stream.sendHeader();
    return stream;
  }
}
