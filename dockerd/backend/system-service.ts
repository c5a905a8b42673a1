// The system router's backend: info, version, df, login, events.
import type { Filters } from '../wire/filters.js';
import type { Engine } from './engine.js';
import type { DockerEvent } from './events.js';
import { streamEvents } from './event-stream.js';
import { login } from './images/login.js';
import { info, version } from './system.js';
import { publicVolume } from './volumes.js';

export class SystemService {
  constructor(
    private readonly e: Engine,
    private readonly images: { listImages(o: { all: boolean; filters: Filters }): Promise<unknown[]> },
    private readonly containers: {
      listContainers(o: { all: boolean; limit: number; size: boolean; filters: Filters }): Promise<unknown[]>;
    },
  ) {}

  /** POST /auth: the credentials are checked against the registry itself (nothing is stored here). */
  login(a: {
    username?: string;
    password?: string;
    serveraddress?: string;
    identitytoken?: string;
  }): Promise<void> {
    return login(a);
  }

  async info(): Promise<Record<string, unknown>> {
    return info(this.e, (await this.e.images.list()).length);
  }

  version(): Promise<Record<string, unknown>> {
    return version(this.e);
  }

  async df(): Promise<Record<string, unknown>> {
    const images = await this.images.listImages({ all: true, filters: new Map() });
    const containers = await this.containers.listContainers({
      all: true,
      limit: -1,
      size: true,
      filters: new Map(),
    });
    const volumes = this.e.volumes.list().map((v) => ({
      ...publicVolume(v),
      UsageData: { Size: -1, RefCount: this.e.volumes.inUse(v.Name).length },
    }));
    const layersSize = images.reduce((n: number, i) => n + ((i as { Size?: number }).Size ?? 0), 0);
    return {
      LayersSize: layersSize,
      Images: images,
      Containers: containers,
      Volumes: volumes,
      BuildCache: [],
    };
  }

  streamEvents(
    o: { since?: string; until?: string; filters: Filters },
    write: (e: DockerEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return streamEvents(this.e, o, write, signal);
  }
}
