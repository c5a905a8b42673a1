// The public TypeScript client of tsctrd: one channel on the unix socket, typed service clients, and
// the namespace and lease carried as gRPC metadata on every call (as containerd clients do).
import {
  type CallOptions,
  type Client,
  type ClientReadableStream,
  type ServiceError,
  Metadata,
  credentials,
} from '@grpc/grpc-js';
import { ContentClient } from '../api/gen/containerd/services/content/v1/content.js';
import { EventsClient } from '../api/gen/containerd/services/events/v1/events.js';
import { IntrospectionClient } from '../api/gen/containerd/services/introspection/v1/introspection.js';
import { LeasesClient } from '../api/gen/containerd/services/leases/v1/leases.js';
import { NamespacesClient } from '../api/gen/containerd/services/namespaces/v1/namespace.js';
import { VersionClient } from '../api/gen/containerd/services/version/v1/version.js';
import { DiffClient } from '../api/gen/containerd/services/diff/v1/diff.js';
import { ContainersClient } from '../api/gen/containerd/services/containers/v1/containers.js';
import { ImagesClient } from '../api/gen/containerd/services/images/v1/images.js';
import { SnapshotsClient } from '../api/gen/containerd/services/snapshots/v1/snapshots.js';
import { TasksClient } from '../api/gen/containerd/services/tasks/v1/tasks.js';
import { fromStatus } from '../api/errdefs.js';

export const DEFAULT_ADDRESS = '/run/tsctr/tsctrd.sock';
export const DEFAULT_NAMESPACE = 'default';
const MAX_MESSAGE = 16 << 20;

export interface ConnectOptions {
  address?: string;
  namespace?: string;
  /** Give up connecting after this long (ms). */
  timeoutMs?: number;
}

type Callback<Res> = (err: ServiceError | null, res: Res) => void;
type UnaryMethod<Req, Res> = (
  req: Req,
  md: Metadata,
  opts: Partial<CallOptions>,
  cb: Callback<Res>,
) => unknown;

/** Turns a gRPC failure into the typed error it stands for. */
export function mapError(e: unknown): Error {
  const se = e as ServiceError;
  if (se && typeof se.code === 'number') return fromStatus(se.code, se.details ?? se.message);
  return e instanceof Error ? e : new Error(String(e));
}

export class Connection {
  readonly address: string;
  namespace: string;
  lease: string | undefined;
  private readonly clients = new Map<string, Client>();
  private readonly timeoutMs: number;

  constructor(opts: ConnectOptions = {}) {
    this.address = opts.address ?? DEFAULT_ADDRESS;
    this.namespace = opts.namespace ?? DEFAULT_NAMESPACE;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  private get<C extends Client>(
    name: string,
    Ctor: new (addr: string, creds: ReturnType<typeof credentials.createInsecure>, opts: object) => C,
  ): C {
    let c = this.clients.get(name);
    if (!c) {
      const first = this.clients.values().next().value as Client | undefined;
      c = new Ctor(`unix://${this.address}`, credentials.createInsecure(), {
        'grpc.max_receive_message_length': MAX_MESSAGE,
        'grpc.max_send_message_length': MAX_MESSAGE,
        // A local daemon that restarts is back within a second: do not back off for minutes.
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
        ...(first ? { channelOverride: first.getChannel() } : {}),
      });
      this.clients.set(name, c);
    }
    return c as C;
  }

  get content(): ContentClient {
    return this.get('content', ContentClient);
  }
  get events(): EventsClient {
    return this.get('events', EventsClient);
  }
  get introspection(): IntrospectionClient {
    return this.get('introspection', IntrospectionClient);
  }
  get leases(): LeasesClient {
    return this.get('leases', LeasesClient);
  }
  get namespaces(): NamespacesClient {
    return this.get('namespaces', NamespacesClient);
  }
  get version(): VersionClient {
    return this.get('version', VersionClient);
  }
  get containers(): ContainersClient {
    return this.get('containers', ContainersClient);
  }
  get diff(): DiffClient {
    return this.get('diff', DiffClient);
  }
  get images(): ImagesClient {
    return this.get('images', ImagesClient);
  }
  get tasks(): TasksClient {
    return this.get('tasks', TasksClient);
  }
  get snapshots(): SnapshotsClient {
    return this.get('snapshots', SnapshotsClient);
  }

  metadata(): Metadata {
    const md = new Metadata();
    md.set('containerd-namespace', this.namespace);
    if (this.lease) md.set('containerd-lease', this.lease);
    return md;
  }

  /** Calls a unary method with this connection's namespace and lease. */
  call<Req, Res>(
    client: Client,
    method: UnaryMethod<Req, Res>,
    req: Req,
    opts: { noDeadline?: boolean } = {},
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(
        client,
        req,
        this.metadata(),
        opts.noDeadline ? {} : { deadline: Date.now() + this.timeoutMs },
        (err, res) => (err ? reject(mapError(err)) : resolve(res)),
      );
    });
  }

  /** Collects a server stream into an array. */
  async collect<Res>(stream: ClientReadableStream<Res>): Promise<Res[]> {
    const out: Res[] = [];
    try {
      for await (const m of stream) out.push(m as Res);
    } catch (e) {
      throw mapError(e);
    }
    return out;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
