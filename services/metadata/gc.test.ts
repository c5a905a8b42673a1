// The garbage collector over real stores: what a root, a lease, a label or a parent keeps, and what goes.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerStore } from '../containers/store.js';
import { contentGcBackend } from '../content/gc.js';
import { LocalContentStore } from '../content/local.js';
import { ContentStore } from '../content/store.js';
import { Exchange } from '../events/exchange.js';
import { ImageStore } from '../images/store.js';
import { LevelLeaseStore } from '../leases/store.js';
import { NativeBackend } from '../snapshots/backend.js';
import { snapshotGcBackend } from '../snapshots/gc.js';
import { SnapshotStore } from '../snapshots/store.js';
import { MetadataDB } from './db.js';
import { GarbageCollector } from './gc.js';

let dir: string;
let db: MetadataDB;
let content: ContentStore;
let snapshots: SnapshotStore;
let images: ImageStore;
let containers: ContainerStore;
let leases: LevelLeaseStore;
let backend: NativeBackend;
let gc: GarbageCollector;

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

async function blob(
  ns: string,
  data: string,
  labels: Record<string, string> = {},
  lease?: string,
): Promise<string> {
  const w = await content.writer(ns, `ref-${data}`, { total: 0, expected: '', lease });
  await w.write(0, Buffer.from(data));
  return w.commit(0, '', labels);
}

const hasBlob = (ns: string, d: string) => content.exists(ns, d);
const hasSnapshot = (ns: string, key: string) =>
  snapshots.stat(ns, 'native', key).then(
    () => true,
    () => false,
  );

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-gc-'));
  db = await MetadataDB.open(path.join(dir, 'meta'));
  const events = new Exchange();
  const local = new LocalContentStore(path.join(dir, 'content'));
  await local.init();
  content = new ContentStore(db, local, events);
  backend = new NativeBackend(path.join(dir, 'native'));
  await backend.init();
  snapshots = new SnapshotStore(db, new Map([['native', backend]]), events);
  images = new ImageStore(db, events);
  containers = new ContainerStore(db, events);
  leases = new LevelLeaseStore(db);
  gc = new GarbageCollector(db, pino({ level: 'silent' }));
  gc.addBackend(contentGcBackend(local));
  gc.addBackend(snapshotGcBackend(snapshots, backend));
});
afterEach(async () => {
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('GarbageCollector', () => {
  it('removes unreferenced blobs, records and files, and keeps what an image reaches', async () => {
    const layer = await blob('ns', 'layer');
    const config = await blob('ns', 'config');
    const manifest = await blob('ns', 'manifest', {
      'containerd.io/gc.ref.content.l.0': layer,
      'containerd.io/gc.ref.content.config': config,
    });
    const orphan = await blob('ns', 'orphan');
    await images.create('ns', {
      name: 'img',
      labels: {},
      target: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifest,
        size: 8,
        annotations: {},
      },
    });
    const stats = await gc.collect();
    expect(stats.removedRecords).toBe(1);
    expect(await hasBlob('ns', orphan)).toBe(false);
    expect(existsSync(content.local.blobPath(orphan))).toBe(false);
    for (const d of [layer, config, manifest]) expect(await hasBlob('ns', d)).toBe(true);

    await images.delete('ns', 'img');
    await gc.collect();
    for (const d of [layer, config, manifest]) {
      expect(await hasBlob('ns', d)).toBe(false);
      expect(existsSync(content.local.blobPath(d))).toBe(false);
    }
  });

  it('keeps a blob on disk while another namespace still records it', async () => {
    const d = await blob('a', 'shared', { 'containerd.io/gc.root': 'x' });
    await blob('b', 'shared');
    await gc.collect();
    expect(await hasBlob('b', d)).toBe(false);
    expect(await hasBlob('a', d)).toBe(true);
    expect(existsSync(content.local.blobPath(d))).toBe(true);
  });

  it('keeps what a live lease holds, and lets it go with the lease or when the lease expires', async () => {
    await leases.create('ns', 'held', {});
    await leases.create('ns', 'old', { 'containerd.io/gc.expire': '2000-01-01T00:00:00Z' });
    const kept = await blob('ns', 'kept', {}, 'held');
    const expired = await blob('ns', 'expired', {}, 'old');
    await snapshots.prepare('ns', 'native', 'leased', '', {}, 'held');
    await gc.collect();
    expect(await hasBlob('ns', kept)).toBe(true);
    expect(await hasSnapshot('ns', 'leased')).toBe(true);
    expect(await hasBlob('ns', expired)).toBe(false);
    expect((await leases.list('ns')).map((l) => l.id)).toEqual(['held']);

    await leases.delete('ns', 'held');
    await gc.collect();
    expect(await hasBlob('ns', kept)).toBe(false);
    expect(await hasSnapshot('ns', 'leased')).toBe(false);
    expect(await backend.ids()).toEqual([]);
  });

  it("keeps a container's snapshot and its parents, and a snapshot labelled as a root", async () => {
    await snapshots.prepare('ns', 'native', 'base-a', '', {});
    await snapshots.commit('ns', 'native', 'base', 'base-a', {});
    await snapshots.prepare('ns', 'native', 'mid-a', 'base', {});
    await snapshots.commit('ns', 'native', 'mid', 'mid-a', {});
    await snapshots.prepare('ns', 'native', 'rw', 'mid', {});
    await snapshots.prepare('ns', 'native', 'rooted', '', { 'containerd.io/gc.root': 'yes' });
    await snapshots.prepare('ns', 'native', 'loose', '', {});
    await containers.create('ns', {
      id: 'c',
      labels: {},
      image: '',
      runtime: { name: 'io.containerd.runc.v2' },
      spec: { typeUrl: 'spec', value: Buffer.from('{}') },
      snapshotter: 'native',
      snapshotKey: 'rw',
      extensions: {},
    });
    await gc.collect();
    for (const key of ['base', 'mid', 'rw', 'rooted']) expect(await hasSnapshot('ns', key)).toBe(true);
    expect(await hasSnapshot('ns', 'loose')).toBe(false);
    expect((await backend.ids()).length).toBe(4);

    await containers.delete('ns', 'c');
    await gc.collect();
    for (const key of ['base', 'mid', 'rw']) expect(await hasSnapshot('ns', key)).toBe(false);
    expect(await hasSnapshot('ns', 'rooted')).toBe(true);
  });

  it('keeps an ingest that has not expired, with its bytes', async () => {
    const w = await content.writer('ns', 'pending', { total: 10, expected: sha('0123456789') });
    await w.write(0, Buffer.from('01234'));
    await w.close();
    await gc.collect();
    expect((await content.status('ns', 'pending')).offset).toBe(5);
  });
});
