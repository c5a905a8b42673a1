// The public TypeScript client of tsctrd: one channel on the unix socket, typed service clients, and
// a call context (namespace, lease) carried as gRPC metadata on every call, as containerd clients do.
// `with`, `withNamespace` and `withLease` give views that share the channel but carry another context;
// `task`, `container`, `image` and `snapshotter` give typed handles over the raw service stubs.
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
import { type LeaseOptions, withLease } from './leases.js';
import { DEFAULT_SNAPSHOTTER, Snapshotter } from './snapshotter.js';
import { ContainerHandle } from './services/containers.js';
import { ImageHandle } from './services/images.js';
import { TaskHandle } from './services/tasks.js';

export const DEFAULT_ADDRESS = '/run/tsctr/tsctrd.sock';
export const DEFAULT_NAMESPACE = 'default';
const MAX_MESSAGE = 16 << 20;

export interface ConnectOptions {
  address?: string;
  namespace?: string;
  /** A lease every call carries (prefer `withLease`, which scopes one to a piece of work). */
  lease?: string;
  /** Give up connecting after this long (ms). */
  timeoutMs?: number;
}

/** What every call carries as gRPC metadata. */
export interface CallContext {
  namespace: string;
  /** `undefined`: no lease. */
  lease: string | undefined;
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

export class Connection implements CallContext {
  readonly address: string;
  readonly namespace: string;
  readonly lease: string | undefined;
  /** Shared by every view of this connection: one channel, one stub per service. */
  private clients = new Map<string, Client>();
  private readonly timeoutMs: number;
  /** Set on views: only the connection that opened the channel closes it. */
  private owner: Connection | undefined;

  constructor(opts: ConnectOptions = {}) {
    this.address = opts.address ?? DEFAULT_ADDRESS;
    this.namespace = opts.namespace ?? DEFAULT_NAMESPACE;
    this.lease = opts.lease;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** A view on the same channel whose calls carry another namespace and/or lease. */
  with(ctx: Partial<CallContext>): Connection {
    const v = new Connection({
      address: this.address,
      namespace: ctx.namespace ?? this.namespace,
      lease: 'lease' in ctx ? ctx.lease : this.lease,
      timeoutMs: this.timeoutMs,
    });
    v.clients = this.clients;
    v.owner = this.owner ?? this;
    return v;
  }

  /** A view on the same channel in another namespace (no lease: leases are per namespace). */
  withNamespace(namespace: string): Connection {
    return this.with({ namespace, lease: undefined });
  }

  /**
   * Creates a lease, runs `fn` with a view whose calls carry it (same channel), and deletes the lease
   * afterwards — also when `fn` throws — unless `opts.keep`.
   */
  withLease<T>(fn: (c: Connection) => Promise<T>, opts: LeaseOptions = {}): Promise<T> {
    return withLease(this, fn, opts);
  }

  /** The task of container `id` (and its exec processes). */
  task(id: string): TaskHandle {
    return new TaskHandle(this, id);
  }

  /** The container record `id`. */
  container(id: string): ContainerHandle {
    return new ContainerHandle(this, id);
  }

  /** The image record `name`. */
  image(name: string): ImageHandle {
    return new ImageHandle(this, name);
  }

  /** A typed handle on one snapshotter of the Snapshots service. */
  snapshotter(name: string = DEFAULT_SNAPSHOTTER): Snapshotter {
    return new Snapshotter(this, name);
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

  // The raw service stubs (for `call`, streams, and what the typed handles do not cover).
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

  /** This connection's call context as gRPC metadata. */
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

  /** Closes the channel (a view leaves it to the connection it came from). */
  close(): void {
    if (this.owner) return;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
