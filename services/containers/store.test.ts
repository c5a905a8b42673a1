// The containers store without gRPC: create/get/list/update/delete, validation, and what it publishes.
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Exchange } from '../events/exchange.js';
import { MetadataDB } from '../metadata/db.js';
import { type ContainerInput, ContainerStore } from './store.js';

let dir: string;
let db: MetadataDB;
let store: ContainerStore;
let topics: string[];

const spec = {
  typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Spec',
  value: Buffer.from('{"a":1}'),
};
const input = (id: string, over: Partial<ContainerInput> = {}): ContainerInput => ({
  id,
  labels: {},
  image: 'docker.io/library/busybox:latest',
  runtime: { name: 'io.containerd.runc.v2' },
  spec,
  snapshotter: 'overlayfs',
  snapshotKey: id,
  extensions: {},
  ...over,
});

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-containers-'));
  db = await MetadataDB.open(dir);
  const events = new Exchange();
  topics = [];
  events.subscribe([], (e) => topics.push(`${e.namespace} ${e.topic}`));
  store = new ContainerStore(db, events);
});
afterEach(async () => {
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('ContainerStore', () => {
  it('creates a container and gives it back with its spec bytes, runtime and timestamps', async () => {
    const ext = { 'x/y': { typeUrl: 'ext', value: Buffer.from([0, 1, 2]) } };
    const created = await store.create('ns', input('c1', { labels: { a: 'b' }, extensions: ext }));
    expect(created.createdAt).toBeGreaterThan(0n);
    expect(created.updatedAt).toBe(created.createdAt);
    const got = await store.get('ns', 'c1');
    expect(got).toMatchObject({
      id: 'c1',
      labels: { a: 'b' },
      image: 'docker.io/library/busybox:latest',
      runtime: { name: 'io.containerd.runc.v2' },
      snapshotter: 'overlayfs',
      snapshotKey: 'c1',
    });
    expect(Buffer.from(got.spec!.value).toString()).toBe('{"a":1}');
    expect([...got.extensions['x/y'].value]).toEqual([0, 1, 2]);
    expect(topics).toEqual(['ns /containers/create']);
    await expect(store.get('other', 'c1')).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('refuses a duplicate id, a missing runtime or spec, and a snapshot key without snapshotter', async () => {
    await store.create('ns', input('c1'));
    await expect(store.create('ns', input('c1'))).rejects.toMatchObject({ kind: 'AlreadyExists' });
    await expect(store.create('ns', input('c2', { runtime: { name: '' } }))).rejects.toMatchObject({
      kind: 'InvalidArgument',
    });
    await expect(store.create('ns', input('c3', { spec: undefined }))).rejects.toMatchObject({
      kind: 'InvalidArgument',
    });
    await expect(store.create('ns', input('c4', { snapshotter: '' }))).rejects.toMatchObject({
      kind: 'InvalidArgument',
    });
    await expect(store.create('ns', input('bad id!'))).rejects.toMatchObject({ kind: 'InvalidArgument' });
    expect((await store.list('ns', [])).map((c) => c.id)).toEqual(['c1']);
  });

  it('lists with filters on id, image, runtime and labels', async () => {
    await store.create('ns', input('web', { labels: { tier: 'front' } }));
    await store.create('ns', input('db', { image: 'postgres:16', labels: { tier: 'back' } }));
    await store.create('ns', input('job', { runtime: { name: 'io.containerd.tsctr.v1' } }));
    const ids = async (f: string[]) => (await store.list('ns', f)).map((c) => c.id).sort();
    expect(await ids([])).toEqual(['db', 'job', 'web']);
    expect(await ids(['labels.tier==front'])).toEqual(['web']);
    expect(await ids(['image==postgres:16'])).toEqual(['db']);
    expect(await ids(['runtime.name==io.containerd.tsctr.v1'])).toEqual(['job']);
    expect(await ids(['id==web', 'id==db'])).toEqual(['db', 'web']);
    expect(await ids(['labels.tier'])).toEqual(['db', 'web']);
  });

  it('updates only the named fields and refuses immutable ones', async () => {
    await store.create('ns', input('c1', { labels: { a: '1', b: '2' } }));
    const before = await store.get('ns', 'c1');
    const u = await store.update('ns', input('c1', { image: 'new:tag', labels: { b: '3' } }), ['labels.b']);
    expect(u.labels).toEqual({ a: '1', b: '3' });
    expect(u.image).toBe('docker.io/library/busybox:latest');
    expect(u.updatedAt).toBeGreaterThan(before.updatedAt);
    expect(u.createdAt).toBe(before.createdAt);
    const img = await store.update('ns', input('c1', { image: 'new:tag' }), ['image']);
    expect(img.image).toBe('new:tag');
    expect(img.labels).toEqual({ a: '1', b: '3' });
    for (const p of ['runtime', 'snapshotter', 'nonsense']) {
      await expect(store.update('ns', input('c1'), [p])).rejects.toMatchObject({ kind: 'InvalidArgument' });
    }
    await expect(store.update('ns', input('nope'), ['image'])).rejects.toMatchObject({ kind: 'NotFound' });
    expect(topics).toEqual(['ns /containers/create', 'ns /containers/update', 'ns /containers/update']);
  });

  it('replaces labels, image, spec and snapshot key when no field mask is given', async () => {
    await store.create('ns', input('c1', { labels: { a: '1' } }));
    const newSpec = { typeUrl: spec.typeUrl, value: Buffer.from('{"b":2}') };
    const u = await store.update(
      'ns',
      input('c1', { labels: { z: '9' }, image: 'i2', spec: newSpec, snapshotKey: 'k2' }),
      [],
    );
    expect(u).toMatchObject({ labels: { z: '9' }, image: 'i2', snapshotKey: 'k2' });
    expect(Buffer.from((await store.get('ns', 'c1')).spec!.value).toString()).toBe('{"b":2}');
  });

  it('deletes a container unless its task still exists', async () => {
    await store.create('ns', input('c1'));
    let running = true;
    store.tasks = { hasTask: async (ns, id) => running && ns === 'ns' && id === 'c1' };
    await expect(store.delete('ns', 'c1')).rejects.toMatchObject({ kind: 'FailedPrecondition' });
    expect((await store.get('ns', 'c1')).id).toBe('c1');
    running = false;
    await store.delete('ns', 'c1');
    await expect(store.get('ns', 'c1')).rejects.toMatchObject({ kind: 'NotFound' });
    await expect(store.delete('ns', 'c1')).rejects.toMatchObject({ kind: 'NotFound' });
    expect(topics).toEqual(['ns /containers/create', 'ns /containers/delete']);
  });
});
