// ttrpc client (containerd/ttrpc v1.1 client.go): unary calls multiplexed on one unix socket by odd,
// increasing stream ids. A non-OK status rejects with a TsctrError (api/errdefs.ts fromStatus); when the
// connection closes every pending call rejects with Unavailable and the onClose callbacks run.

import net from 'node:net';
import { TsctrError, fromStatus, unavailable } from '../errdefs.js';
import { Request, Response } from '../gen/ttrpc/request.js';
import { FrameReader, MessageType, encodeFrame, oversizedMessage } from './frame.js';
import type { Frame, FrameHeader } from './frame.js';
import { toKeyValues } from './metadata.js';
import type { MetadataInit } from './metadata.js';
import { methodsOf, splitPath } from './service.js';
import type { RequestOf, ResponseOf, ServiceDefinition } from './service.js';
import { Code, errorOf } from './status.js';

export interface ConnectOptions {
  /** Give up dialing after this long (Unavailable). Default: no limit. */
  timeoutMs?: number;
  /** Sent with every call, under the per-call metadata (e.g. { 'containerd-namespace-ttrpc': ns }). */
  metadata?: MetadataInit;
}

export interface CallOptions {
  metadata?: MetadataInit;
  /** Sent as timeout_nano; the call rejects with DeadlineExceeded when it passes. */
  timeoutMs?: number;
  /** Aborting rejects the call with Canceled (the server is not told; ttrpc 1.1 has no cancel). */
  signal?: AbortSignal;
}

export type ServiceClient<D extends ServiceDefinition> = {
  [K in keyof D]: (req: RequestOf<D[K]>, opts?: CallOptions) => Promise<ResponseOf<D[K]>>;
};

interface Pending {
  resolve: (payload: Buffer) => void;
  reject: (err: TsctrError) => void;
}

const MAX_STREAM_ID = 0xffffffff;

/** Accepts "unix:///run/x.sock", "unix:/run/x.sock" or a plain path. */
export function socketPath(address: string): string {
  return address.replace(/^unix:(\/\/)?/, '');
}

export class TtrpcClient {
  private readonly pending = new Map<number, Pending>();
  private readonly closeCallbacks: Array<() => void> = [];
  private readonly reader: FrameReader;
  private nextId = 1;
  private isClosed = false;
  private readonly done: Promise<void>;

  /** Dials a unix socket; rejects with Unavailable if it cannot (or not within timeoutMs). */
  static connect(address: string, opts: ConnectOptions = {}): Promise<TtrpcClient> {
    const path = socketPath(address);
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ path });
      let timer: NodeJS.Timeout | undefined;
      const fail = (why: string): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(unavailable(`ttrpc: dial ${path}: ${why}`));
      };
      if (opts.timeoutMs !== undefined) timer = setTimeout(() => fail('timeout'), opts.timeoutMs);
      socket.once('error', (err) => fail(err.message));
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new TtrpcClient(socket, opts));
      });
    });
  }

  /** Wraps an already connected socket. */
  constructor(
    private readonly socket: net.Socket,
    private readonly options: ConnectOptions = {},
  ) {
    this.reader = new FrameReader(
      (f) => this.onFrame(f),
      (h) => this.onOversized(h),
    );
    this.done = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('error', () => {
      // 'close' follows; pending calls learn of it there.
    });
    socket.once('close', () => this.onSocketClose());
    if (socket.destroyed) queueMicrotask(() => this.onSocketClose());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Runs `cb` once when the connection ends, for whatever reason (at once if it already has). */
  onClose(cb: () => void): void {
    if (this.isClosed) queueMicrotask(cb);
    else this.closeCallbacks.push(cb);
  }

  /** Closes the connection; resolves once it is closed and pending calls have been rejected. */
  async close(): Promise<void> {
    this.socket.destroy();
    await this.done;
  }

  /** One unary call with raw payloads; resolves with the response payload. */
  call(service: string, method: string, payload: Uint8Array, opts: CallOptions = {}): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.isClosed) return reject(closedError());
      if (opts.signal?.aborted) return reject(new TsctrError('Canceled', 'context canceled'));
      if (this.nextId > MAX_STREAM_ID) return reject(unavailable('ttrpc: stream ids exhausted'));
      const id = this.nextId;
      this.nextId += 2;

      const req: Request = {
        service,
        method,
        payload: asBuffer(payload),
        timeoutNano: opts.timeoutMs !== undefined ? Math.max(1, Math.round(opts.timeoutMs * 1e6)) : 0,
        metadata: toKeyValues(this.options.metadata, opts.metadata),
      };
      let frame: Buffer;
      try {
        frame = encodeFrame(id, MessageType.Request, Request.encode(req).finish());
      } catch (err) {
        return reject(fromStatus(Code.ResourceExhausted, (err as Error).message));
      }

      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => settle(() => reject(new TsctrError('Canceled', 'context canceled')));
      const settle = (then: () => void): void => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        then();
      };
      this.pending.set(id, {
        resolve: (p) => settle(() => resolve(p)),
        reject: (e) => settle(() => reject(e)),
      });
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(
          () => settle(() => reject(new TsctrError('DeadlineExceeded', 'context deadline exceeded'))),
          opts.timeoutMs,
        );
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.socket.write(frame);
    });
  }

  /** A typed client for a ts-proto service definition: `client.client(TaskService).create(req)`. */
  client<D extends ServiceDefinition>(def: D): ServiceClient<D> {
    const out: Record<string, (req: unknown, opts?: CallOptions) => Promise<unknown>> = {};
    for (const [name, m] of methodsOf(def)) {
      const { service, method } = splitPath(m.path);
      out[name] = async (req, opts) =>
        m.responseDeserialize(await this.call(service, method, m.requestSerialize(req), opts));
    }
    return out as ServiceClient<D>;
  }

  private onFrame(frame: Frame): void {
    const call = this.pending.get(frame.streamId);
    if (!call) return; // timed out or canceled meanwhile, or a server bug: nobody to tell
    if (frame.type !== MessageType.Response) {
      return call.reject(new TsctrError('Unknown', 'unknown message type received'));
    }
    let resp: Response;
    try {
      resp = Response.decode(frame.payload);
    } catch (err) {
      return call.reject(new TsctrError('Unknown', `ttrpc: bad response: ${(err as Error).message}`));
    }
    if (resp.status && resp.status.code !== Code.OK) return call.reject(errorOf(resp.status));
    call.resolve(resp.payload);
  }

  private onOversized(h: FrameHeader): void {
    this.pending.get(h.streamId)?.reject(fromStatus(Code.ResourceExhausted, oversizedMessage(h.length)));
  }

  private onSocketClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const call of [...this.pending.values()]) call.reject(closedError());
    // Each on its own microtask: one throwing neither hides the others nor the rejections above.
    for (const cb of this.closeCallbacks.splice(0)) queueMicrotask(cb);
  }
}

function closedError(): TsctrError {
  return unavailable('ttrpc: closed');
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
