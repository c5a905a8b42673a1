// The leases store without gRPC: leases per namespace and the resources attached to them.
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetadataDB } from '../metadata/db.js';
import { attachToLease, LevelLeaseStore } from './store.js';

let dir: string;
let db: MetadataDB;
let store: LevelLeaseStore;
const dg = `sha256:${'a'.repeat(64)}`;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-leases-'));
  db = await MetadataDB.open(dir);
  store = new LevelLeaseStore(db);
});
afterEach(async () => {
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('LevelLeaseStore', () => {
  it('creates, lists and deletes leases per namespace', async () => {
    const l = await store.create('ns', 'l1', {
      'containerd.io/gc.expire': '2100-01-01T00:00:00Z',
      empty: '',
    });
    expect(l).toMatchObject({ id: 'l1', labels: { 'containerd.io/gc.expire': '2100-01-01T00:00:00Z' } });
    expect(l.createdAt).toBeGreaterThan(0n);
    await store.create('ns', 'l2', {});
    await store.create('other', 'l1', {});
    expect((await store.list('ns')).map((x) => x.id)).toEqual(['l1', 'l2']);
    await expect(store.create('ns', 'l1', {})).rejects.toMatchObject({ kind: 'AlreadyExists' });
    await store.delete('ns', 'l1');
    expect((await store.list('ns')).map((x) => x.id)).toEqual(['l2']);
    expect((await store.list('other')).map((x) => x.id)).toEqual(['l1']);
    await expect(store.delete('ns', 'l1')).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('attaches, lists and detaches resources of each type', async () => {
    await store.create('ns', 'l', {});
    await store.addResource('ns', 'l', { type: 'content', id: dg });
    await store.addResource('ns', 'l', { type: 'ingests', id: 'ref-1' });
    await store.addResource('ns', 'l', { type: 'snapshots/overlayfs', id: 'key 1' });
    await store.addResource('ns', 'l', { type: 'content', id: dg });
    expect(await store.listResources('ns', 'l')).toEqual([
      { type: 'content', id: dg },
      { type: 'ingests', id: 'ref-1' },
      { type: 'snapshots/overlayfs', id: 'key 1' },
    ]);
    await store.deleteResource('ns', 'l', { type: 'ingests', id: 'ref-1' });
    expect((await store.listResources('ns', 'l')).map((r) => r.type)).toEqual([
      'content',
      'snapshots/overlayfs',
    ]);
  });

  it('refuses bad resources and unknown leases', async () => {
    await store.create('ns', 'l', {});
    for (const r of [
      { type: 'content', id: 'not-a-digest' },
      { type: 'content', id: '' },
      { type: 'snapshots/', id: 'k' },
      { type: 'images', id: 'x' },
    ]) {
      await expect(store.addResource('ns', 'l', r)).rejects.toMatchObject({ kind: 'InvalidArgument' });
    }
    await expect(store.addResource('ns', 'nope', { type: 'content', id: dg })).rejects.toMatchObject({
      kind: 'NotFound',
    });
    await expect(store.listResources('ns', 'nope')).rejects.toMatchObject({ kind: 'NotFound' });
    await expect(store.deleteResource('ns', 'nope', { type: 'content', id: dg })).rejects.toMatchObject({
      kind: 'NotFound',
    });
    await expect(store.create('ns', 'has space', {})).rejects.toMatchObject({ kind: 'InvalidArgument' });
  });

  it("drops a lease's resources with it", async () => {
    await store.create('ns', 'l', {});
    await store.addResource('ns', 'l', { type: 'content', id: dg });
    await store.delete('ns', 'l');
    await store.create('ns', 'l', {});
    expect(await store.listResources('ns', 'l')).toEqual([]);
  });

  it('attaches inside a store transaction only when the request carries a lease', async () => {
    await store.create('ns', 'l', {});
    await db.update((tx) => attachToLease(tx, 'ns', undefined, { type: 'content', id: dg }));
    expect(await store.listResources('ns', 'l')).toEqual([]);
    await db.update((tx) => attachToLease(tx, 'ns', 'l', { type: 'content', id: dg }));
    expect(await store.listResources('ns', 'l')).toEqual([{ type: 'content', id: dg }]);
    await expect(
      db.update((tx) => attachToLease(tx, 'ns', 'gone', { type: 'content', id: dg })),
    ).rejects.toMatchObject({
      kind: 'NotFound',
    });
  });
});
