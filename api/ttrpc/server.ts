// ttrpc server (containerd/ttrpc v1.1 server.go, services.go): unary calls over unix sockets.
// Requests on one connection run concurrently; each response goes back on the request's stream id.

import net from 'node:net';
// chmodSync, not fs/promises: loading that module costs every shim ~180 KiB (it pulls in readline).
import { chmodSync } from 'node:fs';
import { Request, Response } from '../gen/ttrpc/request.js';
import type { Status } from '../gen/google/rpc/status.js';
import { FrameReader, MESSAGE_LENGTH_MAX, MessageType, encodeFrame, oversizedMessage } from './frame.js';
import type { Frame, FrameHeader } from './frame.js';
import { fromKeyValues, namespaceOf } from './metadata.js';
import type { Metadata } from './metadata.js';
import { methodsOf, splitPath } from './service.js';
import type { RequestOf, ResponseOf, ServiceDefinition } from './service.js';
import { Code, status, statusOf } from './status.js';

export interface CallContext {
  /** Request metadata, keys as sent (containerd's are lower case). */
  metadata: Metadata;
  /** `containerd-namespace-ttrpc`, when the caller sent it. */
  namespace?: string;
  /** Client deadline, in ms since the epoch, when the caller set a timeout. */
  deadline?: number;
  /** Aborted when the deadline passes, the connection closes, or the server is force-closed. */
  signal: AbortSignal;
}

export type Handler = (req: Buffer, ctx: CallContext) => Promise<Uint8Array>;

export type ServiceImplementation<D extends ServiceDefinition> = {
  [K in keyof D]: (req: RequestOf<D[K]>, ctx: CallContext) => Promise<ResponseOf<D[K]>>;
};

export interface ServerOptions {
  /** Problems that have no caller to go to (bad frames, socket errors). Default: ignored. */
  onError?: (err: Error) => void;
}

export interface CloseOptions {
  /** After this long, connections still busy are destroyed and their handlers' signals aborted. */
  timeoutMs?: number;
}

const OK: Status = status(Code.OK, '');
const MAX_TIMER_MS = 2 ** 31 - 1;

export class TtrpcServer {
  private readonly services = new Map<string, Map<string, Handler>>();
  private readonly listeners = new Set<net.Server>();
  private readonly conns = new Set<ServerConnection>();
  private closed = false;

  constructor(private readonly options: ServerOptions = {}) {}

  /** Registers one method; `service` is the full name, e.g. "containerd.task.v2.Task". */
  register(service: string, method: string, handler: Handler): this {
    let methods = this.services.get(service);
    if (!methods) this.services.set(service, (methods = new Map()));
    if (methods.has(method)) throw new Error(`ttrpc: duplicate method ${service}/${method}`);
    methods.set(method, handler);
    return this;
  }

  /** Registers the implemented methods of a ts-proto service definition; the rest answer UNIMPLEMENTED. */
  registerService<D extends ServiceDefinition>(def: D, impl: Partial<ServiceImplementation<D>>): this {
    const fns = impl as Record<string, ((req: unknown, ctx: CallContext) => Promise<unknown>) | undefined>;
    for (const [name, m] of methodsOf(def)) {
      const fn = fns[name];
      if (!fn) continue;
      const { service, method } = splitPath(m.path);
      this.register(service, method, async (req, ctx) =>
        m.responseSerialize(await fn.call(impl, m.requestDeserialize(req), ctx)),
      );
    }
    return this;
  }

  /**
   * Listens on a unix socket path (optionally chmod-ed, e.g. 0o600) or on an inherited listening fd
   * (`{ fd: 3 }`, the shim v2 convention). Resolves once listening.
   */
  async listen(target: string | { fd: number }, opts: { mode?: number } = {}): Promise<net.Server> {
    const server = new net.Server();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(typeof target === 'string' ? { path: target } : { fd: target.fd }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (typeof target === 'string' && opts.mode !== undefined) chmodSync(target, opts.mode);
    this.serve(server);
    return server;
  }

  /** Serves connections accepted by a listening (or soon listening) net.Server. */
  serve(server: net.Server): void {
    if (this.closed) throw new Error('ttrpc: server closed');
    this.listeners.add(server);
    server.on('connection', (socket) => {
      if (this.closed) socket.destroy();
      else this.conns.add(new ServerConnection(this, socket));
    });
    server.on('error', (err) => this.options.onError?.(err));
  }

  /**
   * Stops accepting, lets in-flight calls answer, then closes their connections (idle ones at once).
   * Resolves when every connection is gone.
   */
  async close(opts: CloseOptions = {}): Promise<void> {
    this.closed = true;
    for (const l of this.listeners) l.close();
    this.listeners.clear();
    const conns = [...this.conns];
    const gone = Promise.all(conns.map((c) => c.drain()));
    if (opts.timeoutMs === undefined) {
      await gone;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        for (const c of conns) c.destroy();
        resolve();
      }, opts.timeoutMs);
    });
    await Promise.race([gone, expired]);
    clearTimeout(timer);
    await gone;
  }

  /** Number of open connections (tests, and a shim deciding whether anyone is attached). */
  get connections(): number {
    return this.conns.size;
  }

  /** @internal */
  lookup(service: string, method: string): Handler | Status {
    const methods = this.services.get(service);
    if (!methods) return status(Code.Unimplemented, `service ${service}`);
    return methods.get(method) ?? status(Code.Unimplemented, `method ${method}`);
  }

  /** @internal */
  forget(conn: ServerConnection): void {
    this.conns.delete(conn);
  }

  /** @internal */
  report(err: Error): void {
    this.options.onError?.(err);
  }
}

class ServerConnection {
  private readonly reader: FrameReader;
  private readonly calls = new Set<AbortController>();
  private readonly gone: Promise<void>;
  private draining = false;

  constructor(
    private readonly server: TtrpcServer,
    private readonly socket: net.Socket,
  ) {
    this.reader = new FrameReader(
      (f) => this.onFrame(f),
      (h) => this.onOversized(h),
    );
    this.gone = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ECONNRESET' && code !== 'EPIPE') server.report(err);
    });
    socket.once('close', () => {
      for (const c of this.calls) c.abort(new Error('ttrpc: connection closed'));
      this.calls.clear();
      server.forget(this);
    });
  }

  drain(): Promise<void> {
    this.draining = true;
    if (this.calls.size === 0) this.socket.destroy();
    return this.gone;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onOversized(h: FrameHeader): void {
    this.send(h.streamId, {
      status: status(Code.ResourceExhausted, oversizedMessage(h.length)),
      payload: EMPTY,
    });
  }

  private onFrame(frame: Frame): void {
    // Other types are reserved for later protocol versions; ttrpc 1.1 ignores them.
    if (frame.type !== MessageType.Request) return;
    let req: Request;
    try {
      req = Request.decode(frame.payload);
    } catch (err) {
      const text = `unmarshal request error: ${(err as Error).message}`;
      return this.send(frame.streamId, { status: status(Code.InvalidArgument, text), payload: EMPTY });
    }
    if (frame.streamId % 2 !== 1) {
      const text = 'StreamID must be odd for client initiated streams';
      return this.send(frame.streamId, { status: status(Code.InvalidArgument, text), payload: EMPTY });
    }
    void this.dispatch(frame.streamId, req);
  }

  private async dispatch(streamId: number, req: Request): Promise<void> {
    const handler = this.server.lookup(req.service, req.method);
    if (typeof handler !== 'function') return this.send(streamId, { status: handler, payload: EMPTY });

    const ac = new AbortController();
    this.calls.add(ac);
    const metadata = fromKeyValues(req.metadata);
    const ctx: CallContext = { metadata, signal: ac.signal };
    const ns = namespaceOf(metadata);
    if (ns !== undefined) ctx.namespace = ns;
    let timer: NodeJS.Timeout | undefined;
    if (req.timeoutNano > 0) {
      const ms = req.timeoutNano / 1e6;
      ctx.deadline = Date.now() + ms;
      if (ms <= MAX_TIMER_MS) timer = setTimeout(() => ac.abort(new Error('context deadline exceeded')), ms);
    }

    let resp: Response;
    try {
      const out = await handler(req.payload, ctx);
      resp =
        out.length > MESSAGE_LENGTH_MAX
          ? { status: status(Code.ResourceExhausted, oversizedMessage(out.length)), payload: EMPTY }
          : { status: OK, payload: asBuffer(out) };
    } catch (err) {
      resp = { status: statusOf(err), payload: EMPTY };
    } finally {
      clearTimeout(timer);
    }
    if (!this.calls.delete(ac)) return; // the connection went away meanwhile
    this.send(streamId, resp);
    if (this.draining && this.calls.size === 0) this.socket.end(() => this.socket.destroy());
  }

  private send(streamId: number, resp: Response): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    let bytes = Response.encode(resp).finish();
    if (bytes.length > MESSAGE_LENGTH_MAX) {
      // Status details could in principle push an error over the limit too.
      bytes = Response.encode({
        status: status(Code.ResourceExhausted, oversizedMessage(bytes.length)),
        payload: EMPTY,
      }).finish();
    }
    this.socket.write(encodeFrame(streamId, MessageType.Response, bytes));
  }
}

const EMPTY = Buffer.alloc(0);

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
