// An in-process gRPC server for client unit tests: each service answers with what a test gives it
// and records every call (method, request, the namespace and lease metadata, whether it had a
// deadline), so tests can check what reached the wire.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type ServerUnaryCall,
  type ServerWritableStream,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  Server,
  ServerCredentials,
  status,
} from '@grpc/grpc-js';

export interface RecordedCall {
  /** `service.method`, e.g. `leases.create`. */
  method: string;
  request: unknown;
  namespace: string | undefined;
  lease: string | undefined;
  hasDeadline: boolean;
}

/** An error a handler throws to answer with a gRPC status. */
export class StatusError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/** A request as the handler sees it (the decoded message). */
export type Req = Record<string, unknown>;
type Unary = (req: Req) => unknown;
type Streaming = (req: Req) => unknown[];

export interface FakeService {
  definition: ServiceDefinition;
  /** Unary methods by their lowerCamel name. */
  unary?: Record<string, Unary>;
  /** Server-streaming methods: the messages to send. */
  streams?: Record<string, Streaming>;
  /** Server-streaming methods that send their messages and stay open until the client cancels. */
  openStreams?: Record<string, Streaming>;
}

export class FakeServer {
  readonly calls: RecordedCall[] = [];
  readonly address: string;
  private readonly dir: string;
  private readonly server = new Server();

  constructor(services: Record<string, FakeService>) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-fake-grpc-'));
    this.address = path.join(this.dir, 'grpc.sock');
    for (const [name, svc] of Object.entries(services)) {
      const impl: UntypedServiceImplementation = {};
      for (const [method, fn] of Object.entries(svc.unary ?? {})) {
        // A handler may answer later (a Promise), as a task's wait does.
        const handler: handleUnaryCall<Req, unknown> = (call, cb) => {
          this.record(`${name}.${method}`, call);
          Promise.resolve()
            .then(() => fn(call.request))
            .then(
              (v) => cb(null, v),
              (e: unknown) =>
                cb(e instanceof StatusError ? { code: e.code, details: e.message } : (e as Error)),
            );
        };
        impl[method] = handler;
      }
      const streams = [
        ...Object.entries(svc.streams ?? {}).map(([m, fn]) => [m, fn, true] as const),
        ...Object.entries(svc.openStreams ?? {}).map(([m, fn]) => [m, fn, false] as const),
      ];
      for (const [method, fn, end] of streams) {
        const handler: handleServerStreamingCall<Req, unknown> = (call) => {
          this.record(`${name}.${method}`, call);
          for (const m of fn(call.request)) call.write(m);
          if (end) call.end();
        };
        impl[method] = handler;
      }
      this.server.addService(svc.definition, impl);
    }
  }

  private record(method: string, call: ServerUnaryCall<Req, unknown> | ServerWritableStream<Req, unknown>) {
    const first = (k: string) => call.metadata.get(k)[0]?.toString();
    const deadline = call.getDeadline();
    this.calls.push({
      method,
      request: call.request,
      namespace: first('containerd-namespace'),
      lease: first('containerd-lease'),
      hasDeadline: deadline instanceof Date || (typeof deadline === 'number' && Number.isFinite(deadline)),
    });
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.server.bindAsync(`unix://${this.address}`, ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  /** The calls made to one method. */
  of(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
