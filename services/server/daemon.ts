// tsctrd's assembly: open the stores under root, wire each gRPC service over them, and serve them all
// on one unix socket. Nothing here holds logic of its own.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ContentServiceDefinition } from '../content/write-codec.js';
import { EventsService } from '../../api/gen/containerd/services/events/v1/events.js';
import { IntrospectionService } from '../../api/gen/containerd/services/introspection/v1/introspection.js';
import { LeasesService } from '../../api/gen/containerd/services/leases/v1/leases.js';
import { NamespacesService } from '../../api/gen/containerd/services/namespaces/v1/namespace.js';
import { VersionService } from '../../api/gen/containerd/services/version/v1/version.js';
import { HealthService } from '../../api/gen/grpc/health/v1/health.js';
import { ImagesService } from '../../api/gen/containerd/services/images/v1/images.js';
import { SnapshotsService } from '../../api/gen/containerd/services/snapshots/v1/snapshots.js';
import { DiffService } from '../../api/gen/containerd/services/diff/v1/diff.js';
import { ContainersService } from '../../api/gen/containerd/services/containers/v1/containers.js';
import { containersService } from '../containers/service.js';
import { TasksService } from '../../api/gen/containerd/services/tasks/v1/tasks.js';
import { shimEventsServer } from '../tasks/events-ttrpc.js';
import { TaskManager } from '../tasks/manager.js';
import { tasksService } from '../tasks/service.js';
import { ShimLauncher } from '../tasks/shims.js';
import { ContainerStore } from '../containers/store.js';
import { failedPrecondition } from '../../api/errdefs.js';
import { contentGcBackend } from '../content/gc.js';
import { LocalContentStore } from '../content/local.js';
import { contentService } from '../content/service.js';
import { ContentStore } from '../content/store.js';
import { Exchange } from '../events/exchange.js';
import { eventsService } from '../events/service.js';
import { healthService } from '../health/service.js';
import { type PluginInfo, introspectionService } from '../introspection/service.js';
import { leasesService } from '../leases/service.js';
import { LevelLeaseStore } from '../leases/store.js';
import { MetadataDB } from '../metadata/db.js';
import { GarbageCollector, GcScheduler } from '../metadata/gc.js';
import { namespacesService } from '../namespaces/service.js';
import { LevelNamespaceStore } from '../namespaces/store.js';
import { versionService } from '../version/service.js';
import { diffService } from '../diff/service.js';
import { imagesService } from '../images/service.js';
import { ImageStore } from '../images/store.js';
import { NativeBackend, OverlayBackend, type SnapshotBackend } from '../snapshots/backend.js';
import { snapshotGcBackend } from '../snapshots/gc.js';
import { snapshotsService } from '../snapshots/service.js';
import { SnapshotStore } from '../snapshots/store.js';
import { overlayWorks } from '../snapshots/probe.js';
import { ImageServiceService, RuntimeServiceService } from '../../api/gen/runtime/v1/api.js';
import { type Puller, makeCri } from '../cri/index.js';
import type { DaemonConfig } from './config.js';
import { Edge } from './grpc.js';
import { prepareSocket } from './socket.js';
import { serverUuid } from './uuid.js';

export { SERVER_VERSION as VERSION } from '../../api/version.js';
import { SERVER_VERSION as VERSION } from '../../api/version.js';

const MAX_MESSAGE = 16 << 20;

export interface Daemon {
  address: string;
  stop(): Promise<void>;
}

async function openMetadata(root: string): Promise<MetadataDB> {
  try {
    return await MetadataDB.open(path.join(root, 'metadata'));
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED' || /lock/i.test(String((e as { cause?: unknown }).cause ?? e))) {
      throw failedPrecondition(
        `another tsctrd is already using root ${root} (its metadata database is locked)`,
      );
    }
    throw e;
  }
}

/** What the assembly cannot make itself (services/ may not import the client): the CRI's puller. */
export interface DaemonExtras {
  criPuller?: (address: string) => Puller;
}

export async function startDaemon(
  cfg: DaemonConfig,
  log: Logger,
  extras: DaemonExtras = {},
): Promise<Daemon> {
  const started = performance.now();
  await fs.mkdir(cfg.root, { recursive: true, mode: 0o711 });
  const local = new LocalContentStore(path.join(cfg.root, 'content'));
  const overlay = new OverlayBackend(path.join(cfg.root, 'snapshots', 'overlayfs'));
  const native = new NativeBackend(path.join(cfg.root, 'snapshots', 'native'));
  const ttrpcAddress = `${cfg.address}.ttrpc`;
  // Independent steps run side by side (start-up is a ctr user's wait). Nothing is removed before the
  // metadata lock is ours: a second tsctrd on this root must not touch the first one's files.
  const dbOpen = openMetadata(cfg.root);
  const prepared = await Promise.allSettled([
    dbOpen,
    fs.mkdir(cfg.state, { recursive: true, mode: 0o711 }),
    prepareSocket(cfg.address),
    local.init(),
  ]);
  const failed = prepared.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await (await dbOpen.catch(() => undefined))?.close();
    throw failed.reason;
  }
  const db = await dbOpen;

  const exchange = new Exchange();
  const content = new ContentStore(db, local, exchange);
  const namespaces = new LevelNamespaceStore(db, exchange);
  const leases = new LevelLeaseStore(db);
  const images = new ImageStore(db, exchange);
  const containers = new ContainerStore(db, exchange);
  const launcher = new ShimLauncher({
    address: cfg.address,
    ttrpcAddress,
    state: cfg.state,
    shimBinary: path.join(path.dirname(process.argv[1] ?? ''), 'tsctr-shim.js'),
  });
  const tasks = new TaskManager(launcher, containers, exchange, log.child({ component: 'tasks' }));
  containers.tasks = { hasTask: async (ns, id) => tasks.has(ns, id) };
  const shimEvents = shimEventsServer(exchange);
  const listening = fs
    .rm(ttrpcAddress, { force: true })
    .then(() => shimEvents.listen(ttrpcAddress, { mode: 0o600 }));
  const purged = Promise.all(
    [overlay, native].map(async (b) => {
      await b.init();
      await b.purge();
    }),
  );
  const backends = new Map<string, SnapshotBackend>();
  backends.set('overlayfs', overlay);
  backends.set('native', native);
  // Probed in the background so start-up does not wait on a mount.
  void purged.then(async () => {
    const ok = await overlayWorks(overlay.snapshotsDir);
    if (!ok) {
      backends.delete('overlayfs');
      log.warn('overlayfs does not mount here: only the native snapshotter is available');
    }
  });
  const snapshots = new SnapshotStore(db, backends, exchange);
  const gc = new GarbageCollector(db, log.child({ component: 'gc' }));
  gc.addBackend(contentGcBackend(local));
  for (const b of backends.values()) gc.addBackend(snapshotGcBackend(snapshots, b));
  const scheduler = new GcScheduler(gc, db, log.child({ component: 'gc' }), cfg.gc);
  const [uuid] = await Promise.all([serverUuid(cfg.root, log), listening, purged]);

  const plugins: PluginInfo[] = [
    { type: 'io.containerd.content.v1', id: 'content' },
    { type: 'io.containerd.metadata.v1', id: 'level', requires: ['io.containerd.content.v1'] },
    { type: 'io.containerd.gc.v1', id: 'scheduler', requires: ['io.containerd.metadata.v1'] },
    { type: 'io.containerd.event.v1', id: 'exchange' },
    ...[...backends.keys()].map((id) => ({ type: 'io.containerd.snapshotter.v1', id })),
    { type: 'io.containerd.differ.v1', id: 'walking' },
    ...[
      'content',
      'diff',
      'events',
      'images',
      'introspection',
      'leases',
      'namespaces',
      'snapshots',
      'version',
      'healthcheck',
    ].map((id) => ({
      type: 'io.containerd.grpc.v1',
      id,
    })),
  ];

  const edge = new Edge(log);
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE,
    'grpc.max_send_message_length': MAX_MESSAGE,
  });
  server.addService(VersionService, versionService(edge, VERSION));
  server.addService(
    IntrospectionService,
    introspectionService(edge, uuid, () => plugins),
  );
  server.addService(HealthService, healthService(edge));
  server.addService(NamespacesService, namespacesService(edge, namespaces));
  server.addService(EventsService, eventsService(edge, exchange));
  server.addService(
    LeasesService,
    leasesService(edge, leases, {
      afterDelete: async (sync) => void (sync ? await scheduler.runNow() : undefined),
    }),
  );
  server.addService(
    ContentServiceDefinition,
    contentService(edge, content, { afterDelete: async () => undefined }),
  );
  const afterDelete = async (sync: boolean) => void (sync ? await scheduler.runNow() : undefined);
  server.addService(ImagesService, imagesService(edge, images, { afterDelete }));
  server.addService(
    ContainersService,
    containersService(edge, containers, { afterDelete: async () => undefined }),
  );
  server.addService(TasksService, tasksService(edge, tasks));
  server.addService(
    SnapshotsService,
    snapshotsService(edge, snapshots, {
      afterRemove: async () => undefined,
      cleanup: async () => void (await scheduler.runNow()),
    }),
  );
  server.addService(
    DiffService,
    diffService(
      edge,
      content,
      [...backends.values()].map((b) => b.snapshotsDir),
    ),
  );

  const cri = await makeCri(edge, {
    cfg: cfg.cri,
    root: cfg.root,
    state: cfg.state,
    version: VERSION.version,
    images,
    content,
    containers,
    snapshots,
    tasks,
    puller:
      extras.criPuller?.(cfg.address) ??
      (async () => {
        throw failedPrecondition('this tsctrd has no image puller for the CRI');
      }),
    afterImageDelete: async () => void (await scheduler.runNow()),
    log: log.child({ component: 'cri' }),
  });
  server.addService(RuntimeServiceService, cri.runtime);
  server.addService(ImageServiceService, cri.image);
  plugins.push({ type: 'io.containerd.grpc.v1', id: 'cri' });

  // Shims outlive tsctrd: find them again (in parallel, short timeouts) and collect exits we missed.
  // Their tasks are known before the socket answers; each call waits only for its own shim.
  const recovering = tasks.recover();
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${cfg.address}`, ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  await fs.chmod(cfg.address, 0o660);
  scheduler.start();
  const recovered = await recovering;
  if (recovered.live + recovered.dead + recovered.gone > 0) log.info(recovered, 'reconnected to shims');
  await cri.recover();
  log.info(
    { address: cfg.address, root: cfg.root, state: cfg.state, ms: Math.round(performance.now() - started) },
    'tsctrd serving',
  );

  return {
    address: cfg.address,
    async stop() {
      scheduler.stop();
      await cri.close().catch(() => undefined);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await scheduler.idle();
      await shimEvents.close({ timeoutMs: 500 }).catch(() => undefined);
      await db.close();
      await fs.rm(cfg.address, { force: true });
      log.info('tsctrd stopped');
    },
  };
}
