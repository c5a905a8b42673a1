// The snapshotter conformance suite against the local store with each backend (needs root mounts).
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Exchange } from '../events/exchange.js';
import { MetadataDB } from '../metadata/db.js';
import { NativeBackend, OverlayBackend, type SnapshotBackend } from './backend.js';
import { localSnapshotter } from './snapshotter.js';
import { SnapshotStore } from './store.js';
import { type SnapshotterUnderTest, runSnapshotterSuite } from './testsuite.js';

function local(makeBackend: (root: string) => OverlayBackend | NativeBackend) {
  return async (): Promise<SnapshotterUnderTest> => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-sn-'));
    const db = await MetadataDB.open(path.join(dir, 'meta'));
    const backend = makeBackend(path.join(dir, 'backend'));
    await backend.init();
    const store = new SnapshotStore(
      db,
      new Map<string, SnapshotBackend>([[backend.name, backend]]),
      new Exchange(),
    );
    return {
      sn: localSnapshotter(store, 'suite', backend.name),
      cleanup: async () => {
        await db.close();
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
  };
}

runSnapshotterSuite(
  'overlayfs (local store)',
  local((root) => new OverlayBackend(root)),
);
runSnapshotterSuite(
  'native (local store)',
  local((root) => new NativeBackend(root)),
);
