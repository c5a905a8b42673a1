// The content store's part of a GC pass: remove blob files no namespace records, and ingest
// directories no ingest record names (skipping any that a writer holds open).
import { createHash } from 'node:crypto';
import type { ReadView } from '../metadata/db.js';
import type { GcBackend } from '../metadata/gc.js';
import { keys, splitId } from '../metadata/keys.js';
import type { LocalContentStore } from './local.js';
import type { IngestRecord } from './store.js';

export function contentGcBackend(local: LocalContentStore): GcBackend {
  return {
    name: 'content',
    async sweep(view: ReadView): Promise<number> {
      const liveBlobs = new Set<string>();
      const liveIngests = new Set<string>();
      for await (const [nsKey] of view.scan(keys.namespaces())) {
        const ns = splitId(nsKey, keys.namespaces())[0];
        const blobs = keys.objects(ns, 'content');
        for await (const [k] of view.scan(blobs)) liveBlobs.add(splitId(k, blobs)[0]);
        for await (const [, rec] of view.scan<IngestRecord>(keys.objects(ns, 'ingest'))) {
          liveIngests.add(createHash('sha256').update(rec.backendRef).digest('hex'));
        }
      }
      let removed = 0;
      for await (const digest of local.blobs()) {
        if (!liveBlobs.has(digest)) {
          await local.removeBlob(digest);
          removed++;
        }
      }
      for (const name of await local.ingestDirs()) {
        if (liveIngests.has(name)) continue;
        const ref = await local.refOfDir(name);
        if (ref !== undefined && local.isLocked(ref)) continue;
        await local.removeIngestDir(name);
        removed++;
      }
      return removed;
    },
  };
}
