// The images store without gRPC: names pointing at a target descriptor, labels, filters, events.
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Exchange } from '../events/exchange.js';
import { MetadataDB } from '../metadata/db.js';
import { type Descriptor, ImageStore } from './store.js';

let dir: string;
let db: MetadataDB;
let store: ImageStore;
let topics: string[];

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const target = (c: string, over: Partial<Descriptor> = {}): Descriptor => ({
  mediaType: 'application/vnd.oci.image.index.v1+json',
  digest: digest(c),
  size: 100,
  annotations: {},
  ...over,
});

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-images-'));
  db = await MetadataDB.open(dir);
  const events = new Exchange();
  topics = [];
  events.subscribe([], (e) => topics.push(`${e.namespace} ${e.topic}`));
  store = new ImageStore(db, events);
});
afterEach(async () => {
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('ImageStore', () => {
  it('creates an image and gets it back, per namespace', async () => {
    const img = await store.create('ns', {
      name: 'docker.io/library/a:1',
      labels: { x: 'y' },
      target: target('a'),
    });
    expect(img.createdAt).toBeGreaterThan(0n);
    expect(await store.get('ns', 'docker.io/library/a:1')).toMatchObject({
      name: 'docker.io/library/a:1',
      labels: { x: 'y' },
      target: target('a'),
    });
    await expect(store.get('ns2', 'docker.io/library/a:1')).rejects.toMatchObject({ kind: 'NotFound' });
    expect(topics).toEqual(['ns /images/create']);
  });

  it('refuses duplicates, empty names and bad targets', async () => {
    await store.create('ns', { name: 'a', labels: {}, target: target('a') });
    await expect(store.create('ns', { name: 'a', labels: {}, target: target('b') })).rejects.toMatchObject({
      kind: 'AlreadyExists',
    });
    const bad: Array<Descriptor | undefined> = [
      undefined,
      target('b', { mediaType: '' }),
      target('b', { digest: 'sha256:short' }),
      target('b', { size: -1 }),
    ];
    for (const t of bad) {
      await expect(store.create('ns', { name: 'b', labels: {}, target: t })).rejects.toMatchObject({
        kind: 'InvalidArgument',
      });
    }
    await expect(store.create('ns', { name: '', labels: {}, target: target('c') })).rejects.toMatchObject({
      kind: 'InvalidArgument',
    });
    expect((await store.list('ns', [])).map((i) => i.name)).toEqual(['a']);
  });

  it('lists with filters on name, target and labels', async () => {
    await store.create('ns', { name: 'a:1', labels: { env: 'prod' }, target: target('a') });
    await store.create('ns', {
      name: 'b:1',
      labels: {},
      target: target('b', {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        annotations: { k: 'v' },
      }),
    });
    const names = async (f: string[]) => (await store.list('ns', f)).map((i) => i.name).sort();
    expect(await names([])).toEqual(['a:1', 'b:1']);
    expect(await names(['name==a:1'])).toEqual(['a:1']);
    expect(await names([`target.digest==${digest('b')}`])).toEqual(['b:1']);
    expect(await names(['target.mediatype==application/vnd.oci.image.index.v1+json'])).toEqual(['a:1']);
    expect(await names(['labels.env==prod'])).toEqual(['a:1']);
    expect(await names(['annotations.k==v'])).toEqual(['b:1']);
    expect(await names(['name~=^b'])).toEqual(['b:1']);
  });

  it('updates target, labels and annotations under a field mask', async () => {
    await store.create('ns', {
      name: 'a',
      labels: { l1: 'x', l2: 'y' },
      target: target('a', { annotations: { n: '1' } }),
    });
    const t = await store.update('ns', { name: 'a', labels: {}, target: target('b') }, ['target']);
    expect(t.target.digest).toBe(digest('b'));
    expect(t.labels).toEqual({ l1: 'x', l2: 'y' });
    const l = await store.update('ns', { name: 'a', labels: { l2: 'z' } }, ['labels.l2']);
    expect(l.labels).toEqual({ l1: 'x', l2: 'z' });
    const a = await store.update(
      'ns',
      { name: 'a', labels: {}, target: target('b', { annotations: { m: '2' } }) },
      ['annotations.m'],
    );
    expect(a.target.annotations).toEqual({ m: '2' });
    expect(a.target.digest).toBe(digest('b'));
    const all = await store.update('ns', { name: 'a', labels: { only: '1' }, target: target('c') }, []);
    expect(all).toMatchObject({ labels: { only: '1' }, target: target('c') });
    await expect(store.update('ns', { name: 'a', labels: {} }, [])).rejects.toMatchObject({
      kind: 'InvalidArgument',
    });
    await expect(store.update('ns', { name: 'nope', labels: {} }, ['labels'])).rejects.toMatchObject({
      kind: 'NotFound',
    });
    expect(topics.filter((x) => x.endsWith('update'))).toHaveLength(4);
  });

  it('deletes an image', async () => {
    await store.create('ns', { name: 'a', labels: {}, target: target('a') });
    await store.delete('ns', 'a');
    await expect(store.get('ns', 'a')).rejects.toMatchObject({ kind: 'NotFound' });
    await expect(store.delete('ns', 'a')).rejects.toMatchObject({ kind: 'NotFound' });
    expect(topics).toEqual(['ns /images/create', 'ns /images/delete']);
  });
});
