// The volumes router's backend.
import type { Filters } from '../wire/filters.js';
import type { Engine } from './engine.js';
import { createVolume, listVolumes, pruneVolumes, removeVolume } from './volume-ops.js';
import { publicVolume } from './volumes.js';

export class VolumesService {
  constructor(private readonly e: Engine) {}

  listVolumes(filters: Filters): { Volumes: unknown[]; Warnings: null } {
    return listVolumes(this.e, filters);
  }

  createVolume(
    name: string,
    labels: Record<string, string> | null,
    opts: Record<string, string> | null,
  ): unknown {
    return createVolume(this.e, name, labels, opts);
  }

  inspectVolume(name: string): unknown {
    return publicVolume(this.e.volumes.get(name));
  }

  removeVolume(name: string, force: boolean): void {
    removeVolume(this.e, name, force);
  }

  pruneVolumes(filters: Filters): { VolumesDeleted: string[]; SpaceReclaimed: number } {
    return pruneVolumes(this.e, filters);
  }
}
