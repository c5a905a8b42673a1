// The gRPC edge, shared by every service adapter: request context (namespace, lease, logger) from
// metadata, and the one place where typed errors become gRPC status codes.
import {
  type Metadata,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
  type handleBidiStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  status,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { TsctrError, grpcCodeOf, wireMessage } from '../../api/errdefs.js';
import * as validate from '../validate/validate.js';

export const NAMESPACE_HEADER = 'containerd-namespace';
export const LEASE_HEADER = 'containerd-lease';

export class RequestContext {
  constructor(
    private readonly md: Metadata,
    readonly log: Logger,
    /** Aborted when the caller cancels or goes away (long work stops instead of going on unseen). */
    readonly signal: AbortSignal = new AbortController().signal,
  ) {}

  private header(name: string): string | undefined {
    const v = this.md.get(name)[0];
    return typeof v === 'string' && v !== '' ? v : undefined;
  }

  /** The namespace the request is in; FailedPrecondition when missing. */
  ns(): string {
    return validate.namespace(this.header(NAMESPACE_HEADER));
  }

  /** The namespace if one was sent (services that are not namespaced still log it). */
  maybeNs(): string | undefined {
    return this.header(NAMESPACE_HEADER);
  }

  lease(): string | undefined {
    return this.header(LEASE_HEADER);
  }
}

/** Maps any thrown value to a gRPC status, logging what was not a typed error. */
export function toServiceError(e: unknown, log: Logger, method: string): Partial<ServiceError> {
  if (e instanceof TsctrError) {
    return { code: grpcCodeOf[e.kind], details: wireMessage(e), message: wireMessage(e) };
  }
  if (
    typeof e === 'object' &&
    e !== null &&
    'code' in e &&
    typeof (e as ServiceError).code === 'number' &&
    'details' in e
  ) {
    return e as ServiceError;
  }
  log.error({ err: e, method }, 'request failed');
  const msg = e instanceof Error ? e.message : String(e);
  return { code: status.UNKNOWN, details: msg, message: msg };
}

/** Wraps service methods: builds the request context and maps failures to gRPC statuses. */
export class Edge {
  /** Each unary call's duration goes to the debug log. */
  private readonly timed: boolean;

  constructor(private readonly log: Logger) {
    this.timed = log.isLevelEnabled('debug');
  }

  private context(method: string, md: Metadata, signal?: AbortSignal): RequestContext {
    const ns = md.get(NAMESPACE_HEADER)[0];
    return new RequestContext(
      md,
      this.log.child({ method, ...(typeof ns === 'string' && ns ? { namespace: ns } : {}) }),
      signal,
    );
  }

  unary<Req, Res>(
    method: string,
    fn: (req: Req, ctx: RequestContext) => Promise<Res>,
  ): handleUnaryCall<Req, Res> {
    return (call: ServerUnaryCall<Req, Res>, cb) => {
      const abort = new AbortController();
      call.once('cancelled', () => abort.abort());
      const ctx = this.context(method, call.metadata, abort.signal);
      const t0 = this.timed ? performance.now() : 0;
      fn(call.request, ctx).then(
        (res) => {
          if (this.timed) ctx.log.debug({ ms: +(performance.now() - t0).toFixed(2) }, 'rpc done');
          cb(null, res);
        },
        (e: unknown) => cb(toServiceError(e, ctx.log, method)),
      );
    };
  }

  stream<Req, Res>(
    method: string,
    fn: (req: Req, ctx: RequestContext, call: ServerWritableStream<Req, Res>) => Promise<void>,
  ): handleServerStreamingCall<Req, Res> {
    return (call) => {
      const ctx = this.context(method, call.metadata);
      fn(call.request, ctx, call).then(
        () => call.end(),
        (e: unknown) => call.emit('error', toServiceError(e, ctx.log, method)),
      );
    };
  }

  bidi<Req, Res>(
    method: string,
    fn: (call: ServerDuplexStream<Req, Res>, ctx: RequestContext) => Promise<void>,
  ): handleBidiStreamingCall<Req, Res> {
    return (call) => {
      const ctx = this.context(method, call.metadata);
      fn(call, ctx).then(
        () => call.end(),
        (e: unknown) => call.emit('error', toServiceError(e, ctx.log, method)),
      );
    };
  }
}

/** Writes a message on a server stream, waiting when the transport pushes back. */
export function send<T>(
  call: { write(m: T): boolean; once(ev: 'drain', f: () => void): unknown },
  msg: T,
): Promise<void> {
  if (call.write(msg)) return Promise.resolve();
  return new Promise((resolve) => call.once('drain', () => resolve()));
}

/**
 * Reads a client stream message by message without destroying it when the reader stops early
 * (a `for await` over the call would, and the status could then never be sent).
 */
export async function* incoming<T>(
  call: NodeJS.EventEmitter & { pause(): unknown; resume(): unknown },
): AsyncGenerator<T> {
  const queue: T[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const onData = (m: T) => {
    queue.push(m);
    if (queue.length > 4) call.pause();
    wake?.();
  };
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  const onError = (e: unknown) => {
    failure = e;
    ended = true;
    wake?.();
  };
  call.on('data', onData);
  call.on('end', onEnd);
  call.on('cancelled', onEnd);
  call.on('error', onError);
  try {
    for (;;) {
      if (queue.length > 0) {
        const m = queue.shift()!;
        if (queue.length <= 1) call.resume();
        yield m;
        continue;
      }
      if (ended) {
        if (failure) throw failure;
        return;
      }
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    call.off('data', onData);
    call.off('end', onEnd);
    call.off('cancelled', onEnd);
    call.off('error', onError);
  }
}
