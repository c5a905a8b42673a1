// The volume endpoints over the volume store: list with filters (dangling, name, label), create,
// remove and prune, each publishing its event.
import type { Filters } from '../wire/filters.js';
import type { Engine } from './engine.js';
import { publicVolume } from './volumes.js';

export function listVolumes(e: Engine, filters: Filters): { Volumes: unknown[]; Warnings: null } {
  const dangling = filters.get('dangling');
  const names = filters.get('name');
  const labels = filters.get('label');
  const vols = e.volumes.list().filter((v) => {
    if (dangling && dangling.includes('true') !== (e.volumes.inUse(v.Name).length === 0)) return false;
    if (names && !names.some((n) => v.Name.includes(n))) return false;
    if (
      labels &&
      !labels.every((l) =>
        l.includes('=')
          ? v.Labels?.[l.split('=')[0]] === l.split('=').slice(1).join('=')
          : !!v.Labels && l in v.Labels,
      )
    )
      return false;
    return true;
  });
  return { Volumes: vols.map(publicVolume), Warnings: null };
}

export function createVolume(
  e: Engine,
  name: string,
  labels: Record<string, string> | null,
  opts: Record<string, string> | null,
): unknown {
  const { volume, created } = e.volumes.create(name || undefined, {
    labels,
    options: opts,
    anonymous: !name,
  });
  if (created) e.events.publish('volume', 'create', volume.Name, { driver: 'local' });
  return publicVolume(volume);
}

export function removeVolume(e: Engine, name: string, force: boolean): void {
  e.volumes.remove(name, force);
  e.events.publish('volume', 'destroy', name, { driver: 'local' });
}

export function pruneVolumes(
  e: Engine,
  filters: Filters,
): { VolumesDeleted: string[]; SpaceReclaimed: number } {
  const labels = filters.get('label');
  const deleted: string[] = [];
  for (const v of e.volumes.list()) {
    if (e.volumes.inUse(v.Name).length > 0) continue;
    if (labels && !labels.every((l) => !!v.Labels && l.split('=')[0] in v.Labels)) continue;
    e.volumes.remove(v.Name);
    e.events.publish('volume', 'destroy', v.Name, { driver: 'local' });
    deleted.push(v.Name);
  }
  return { VolumesDeleted: deleted, SpaceReclaimed: 0 };
}
