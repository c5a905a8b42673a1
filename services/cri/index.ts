// Assembles the CRI plugin over tsctrd's stores: records under <root>/cri, volatile state (netns pins,
// stdio FIFOs) under <state>/cri. `recover` runs after the tasks manager has found its shims again.
import path from 'node:path';
import type { Logger } from 'pino';
import type { ContainerStore } from '../containers/store.js';
import type { ContentStore } from '../content/store.js';
import type { ImageStore } from '../images/store.js';
import type { Edge } from '../server/grpc.js';
import type { SnapshotStore } from '../snapshots/store.js';
import type { TaskManager } from '../tasks/manager.js';
import { Cni } from './cni.js';
import type { CriConfig } from './config.js';
import { type ContainerRecord, Containers } from './containers.js';
import { imageService } from './image-service.js';
import { CriImages, type Puller } from './images.js';
import { type PodRecord, Pods } from './pods.js';
import { RecordDir } from './records.js';
import { runtimeService } from './runtime-service.js';
import { StreamServer } from './stream/server.js';
import { Tasking } from './tasking.js';

export { type Puller, type RegistryAuth, CRI_NS } from './images.js';

export interface CriDeps {
  cfg: CriConfig;
  root: string;
  state: string;
  version: string;
  images: ImageStore;
  content: ContentStore;
  containers: ContainerStore;
  snapshots: SnapshotStore;
  tasks: TaskManager;
  puller: Puller;
  afterImageDelete: () => Promise<void>;
  log: Logger;
}

export async function makeCri(edge: Edge, d: CriDeps) {
  const images = new CriImages(d.images, d.content, d.puller, d.afterImageDelete);
  const t = new Tasking(d.containers, d.snapshots, d.tasks, d.log);
  const cni = new Cni(d.cfg.cni.binDir, d.cfg.cni.confDir);
  const base = path.join(d.root, 'cri');
  const vol = path.join(d.state, 'cri');
  const pods = new Pods(
    d.cfg,
    path.join(base, 'pods'),
    path.join(vol, 'netns'),
    new RecordDir<PodRecord>(path.join(base, 'pod-records')),
    images,
    cni,
    t,
    d.log,
  );
  const ioRoot = path.join(vol, 'io');
  const ctrs = new Containers(
    ioRoot,
    new RecordDir<ContainerRecord>(path.join(base, 'container-records')),
    pods,
    images,
    t,
    d.cfg.restrictOomScoreAdj,
    d.cfg.disableApparmor,
    d.log,
  );
  await pods.load();
  await ctrs.load();
  const streams = new StreamServer(d.log.child({ part: 'streaming' }));
  await streams.listen(d.cfg.streamServerAddress, Number(d.cfg.streamServerPort));
  const cniReady = async () =>
    cni.network().then(
      () => undefined,
      (e: unknown) => (e as Error).message,
    );
  return {
    runtime: runtimeService(edge, pods, ctrs, t, {
      version: d.version,
      ioRoot,
      snapshotsDir: path.join(d.root, 'snapshots'),
      cniReady,
      config: d.cfg,
      streams,
    }),
    image: imageService(edge, images, path.join(d.root, 'snapshots')),
    close: () => streams.close(),
    async recover(): Promise<void> {
      await pods.recover();
      await ctrs.recover();
    },
  };
}
