// The snapshotters' part of a GC pass: remove every snapshot directory no record names.
import type { ReadView } from '../metadata/db.js';
import type { GcBackend } from '../metadata/gc.js';
import { keys, splitId } from '../metadata/keys.js';
import type { SnapshotBackend } from './backend.js';
import type { SnapshotRecord, SnapshotStore } from './store.js';

export function snapshotGcBackend(store: SnapshotStore, backend: SnapshotBackend): GcBackend {
  return {
    name: `snapshots/${backend.name}`,
    async sweep(view: ReadView): Promise<number> {
      const live = new Set<string>(store.busyIds());
      for await (const [nsKey] of view.scan(keys.namespaces())) {
        const ns = splitId(nsKey, keys.namespaces())[0];
        for await (const [, r] of view.scan<SnapshotRecord>(keys.objects(ns, `snapshot/${backend.name}`)))
          live.add(r.id);
      }
      let removed = 0;
      for (const id of await backend.ids()) {
        if (!live.has(id)) {
          await backend.remove(id);
          removed++;
        }
      }
      return removed;
    },
    afterSweep: () => backend.purge(),
  };
}
