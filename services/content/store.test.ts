// The content store without gRPC: offsets, resume, commit checks, sharing across namespaces.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Exchange } from '../events/exchange.js';
import { MetadataDB } from '../metadata/db.js';
import { LocalContentStore } from './local.js';
import { ContentStore } from './store.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let dir: string;
let db: MetadataDB;
let store: ContentStore;
let events: Exchange;

async function open(): Promise<void> {
  db = await MetadataDB.open(path.join(dir, 'meta'));
  const local = new LocalContentStore(path.join(dir, 'content'));
  await local.init();
  events = new Exchange();
  store = new ContentStore(db, local, events);
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-content-'));
  await open();
});
afterEach(async () => {
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('ContentStore', () => {
  it('commits a blob, checks size and digest, and lists it with labels', async () => {
    const data = randomBytes(5000);
    const w = await store.writer('ns1', 'ref1', { total: data.length, expected: sha(data) });
    await w.write(0, data.subarray(0, 1000));
    await w.write(1000, data.subarray(1000));
    expect(w.offset()).toBe(5000);
    expect(await w.commit(data.length, sha(data), { a: 'b' })).toBe(sha(data));
    const info = await store.info('ns1', sha(data));
    expect(info).toMatchObject({ digest: sha(data), size: 5000, labels: { a: 'b' } });
    const listed = [];
    for await (const i of store.list('ns1', ['labels.a==b'])) listed.push(i.digest);
    expect(listed).toEqual([sha(data)]);
    await expect(store.info('ns2', sha(data))).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('refuses writes at the wrong offset and restarts at offset 0', async () => {
    const w = await store.writer('ns1', 'ref2', { total: 0, expected: '' });
    await w.write(0, Buffer.from('hello'));
    await expect(w.write(3, Buffer.from('x'))).rejects.toMatchObject({ kind: 'OutOfRange' });
    await w.write(0, Buffer.from('bye'));
    expect(w.offset()).toBe(3);
    expect(await w.commit(0, '', {})).toBe(sha(Buffer.from('bye')));
  });

  it('refuses a commit whose digest or size does not match, keeping nothing', async () => {
    const w = await store.writer('ns1', 'ref3', { total: 0, expected: '' });
    await w.write(0, Buffer.from('abc'));
    await expect(w.commit(0, sha(Buffer.from('xyz')), {})).rejects.toMatchObject({
      kind: 'FailedPrecondition',
    });
    await expect(w.commit(99, '', {})).rejects.toMatchObject({ kind: 'FailedPrecondition' });
    await w.close();
    expect(existsSync(store.local.blobPath(sha(Buffer.from('abc'))))).toBe(false);
  });

  it('resumes an ingest after the store is reopened', async () => {
    const data = randomBytes(3000);
    const w = await store.writer('ns1', 'resume', { total: 3000, expected: sha(data) });
    await w.write(0, data.subarray(0, 1234));
    await w.close();
    await db.close();
    await open();
    const st = await store.status('ns1', 'resume');
    expect(st.offset).toBe(1234);
    const w2 = await store.writer('ns1', 'resume', { total: 3000, expected: sha(data) });
    expect(w2.offset()).toBe(1234);
    await w2.write(1234, data.subarray(1234));
    expect(await w2.commit(3000, sha(data), {})).toBe(sha(data));
  });

  it('locks a ref to one writer at a time', async () => {
    const w = await store.writer('ns1', 'busy', { total: 0, expected: '' });
    await expect(store.writer('ns1', 'busy', { total: 0, expected: '' })).rejects.toMatchObject({
      kind: 'Unavailable',
    });
    await w.close();
    const again = await store.writer('ns1', 'busy', { total: 0, expected: '' });
    await again.close();
  });

  it('lets another namespace commit a known blob without sending its bytes', async () => {
    const data = randomBytes(2048);
    const w = await store.writer('ns1', 'a', { total: data.length, expected: sha(data) });
    await w.write(0, data);
    await w.commit(data.length, sha(data), {});
    const w2 = await store.writer('ns2', 'b', { total: data.length, expected: sha(data) });
    expect(w2.offset()).toBe(data.length);
    expect(w2.digest()).toBe(sha(data));
    expect(await w2.commit(data.length, sha(data), {})).toBe(sha(data));
    expect((await store.info('ns2', sha(data))).size).toBe(2048);
  });

  it('answers AlreadyExists for a blob the namespace has', async () => {
    const data = Buffer.from('same');
    const w = await store.writer('ns1', 'x', { total: 0, expected: '' });
    await w.write(0, data);
    await w.commit(0, '', {});
    await expect(store.writer('ns1', 'y', { total: 0, expected: sha(data) })).rejects.toMatchObject({
      kind: 'AlreadyExists',
    });
  });

  it('publishes /content/delete when a blob is deleted', async () => {
    const seen: string[] = [];
    events.subscribe([], (e) => seen.push(`${e.namespace} ${e.topic}`));
    const w = await store.writer('ns1', 'gone', { total: 0, expected: '' });
    await w.write(0, Buffer.from('bye'));
    const dg = await w.commit(0, '', {});
    await store.delete('ns1', dg);
    expect(seen).toEqual(['ns1 /content/delete']);
    await expect(store.delete('ns1', dg)).rejects.toMatchObject({ kind: 'NotFound' });
  });
});
