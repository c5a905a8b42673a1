// The content conformance suite against the local (namespaced) store, without gRPC.
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Exchange } from '../events/exchange.js';
import { MetadataDB } from '../metadata/db.js';
import { localContent } from './content.js';
import { LocalContentStore } from './local.js';
import { ContentStore } from './store.js';
import { runContentSuite } from './testsuite.js';

runContentSuite('local store', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-cs-'));
  const db = await MetadataDB.open(path.join(dir, 'meta'));
  const local = new LocalContentStore(path.join(dir, 'content'));
  await local.init();
  return {
    content: localContent(new ContentStore(db, local, new Exchange()), 'suite'),
    cleanup: async () => {
      await db.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
});
