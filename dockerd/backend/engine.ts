// What every part of the Docker backend shares: the tsctrd connection (namespace `moby`), the
// Docker-side stores, the event bus, and per container the live runtime state that is not persisted
// (its current run's stdio, the waiters for its exit, pending restarts).
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Connection } from '../../client/connection.js';
import type { JsonFileLogger } from '../logs/jsonfile-writer.js';
import { ContainerStore } from './container-store.js';
import { EventBus } from './events.js';
import { ImageIndex } from './images.js';
import { Lifecycle } from './lifecycle.js';
import type { RunIO } from './run-io.js';
import type { SecurityDefaults } from './security.js';
import type { ContainerRecord } from './types.js';
import { VolumeStore } from './volumes.js';

export interface EngineOptions {
  dataRoot: string;
  execRoot: string;
  log: Logger;
  /** The tsctrd socket, for `docker info` and `version`. */
  containerdAddress: string;
  /** Daemon-wide security defaults (`--no-new-privileges`). */
  security?: SecurityDefaults;
}

/** Live, in-memory state of one container. */
export class Runtime {
  /** The current run's stdio (from start until its output ends). */
  run: RunIO | undefined;
  logger: JsonFileLogger | undefined;
  /** 'start' (a new run), 'exit' (code), 'removed' (code). */
  readonly emitter = new EventEmitter();
  /** Input an attach client sent before the run existed (`docker run -i`: attach comes before start). */
  pendingStdin: Buffer[] = [];
  pendingStdinClosed = false;
  restartTimer: NodeJS.Timeout | undefined;
  /** The lifecycle hooks of the last exit (sandbox teardown…): a new start or a removal waits for them. */
  exitHooks: Promise<void> = Promise.resolve();
  /** Serialises start/stop/kill/remove on one container. */
  private chain: Promise<unknown> = Promise.resolve();
  removing = false;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

export class Engine {
  readonly store: ContainerStore;
  readonly volumes: VolumeStore;
  readonly images: ImageIndex;
  readonly events = new EventBus();
  /** Hooks announced each step of a container's life (networking, health, restarts, /etc files). */
  readonly lifecycle: Lifecycle;
  private readonly runtimes = new Map<string, Runtime>();
  readonly log: Logger;
  readonly startedAt = Date.now();

  constructor(
    readonly c: Connection,
    readonly opts: EngineOptions,
  ) {
    this.log = opts.log;
    this.lifecycle = new Lifecycle(opts.log);
    this.store = new ContainerStore(path.join(opts.dataRoot, 'containers'));
    this.volumes = new VolumeStore(path.join(opts.dataRoot, 'volumes'), (name) =>
      this.store
        .list()
        .filter((r) => r.Mounts.some((m) => m.Type === 'volume' && m.Name === name))
        .map((r) => r.Id),
    );
    this.images = new ImageIndex(c);
  }

  runtime(id: string): Runtime {
    let r = this.runtimes.get(id);
    if (!r) {
      r = new Runtime();
      this.runtimes.set(id, r);
    }
    return r;
  }

  forget(id: string): void {
    const r = this.runtimes.get(id);
    if (r?.restartTimer) clearTimeout(r.restartTimer);
    this.runtimes.delete(id);
  }

  fifoDir(id: string): string {
    return path.join(this.opts.execRoot, id);
  }

  /** Container events carry the image as given and the name (without its slash), plus the labels. */
  containerEvent(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.events.publish('container', action, rec.Id, {
      ...(rec.Config.Labels ?? {}),
      image: rec.Config.Image ?? '',
      name: rec.Name.slice(1),
      ...extra,
    });
  }
}
