// The content store conformance suite: the same checks, through the `Content` interface, for every
// implementation (the local store, and the gRPC proxy over tsctrd).
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Content, ContentIngest } from './content.js';

export interface ContentUnderTest {
  content: Content;
  cleanup(): Promise<void>;
}

/** Creates a fresh, empty content store (or namespace) for one test. */
export type MakeContent = () => Promise<ContentUnderTest>;

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function runContentSuite(name: string, make: MakeContent): void {
  describe(`content conformance: ${name}`, () => {
    let under: ContentUnderTest;
    let cs: Content;
    const open: ContentIngest[] = [];

    beforeEach(async () => {
      under = await make();
      cs = under.content;
    });
    afterEach(async () => {
      for (const w of open.splice(0)) await w.close().catch(() => undefined);
      await under.cleanup();
    });

    async function writer(ref: string, opts?: { total?: number; expected?: string }): Promise<ContentIngest> {
      const w = await cs.writer(ref, opts);
      open.push(w);
      return w;
    }

    /** Writes and commits `data` in chunks, giving its digest. */
    async function put(ref: string, data: Buffer, labels: Record<string, string> = {}): Promise<string> {
      const w = await writer(ref, { total: data.length, expected: sha(data) });
      for (let i = 0; i < data.length; i += 1000) await w.write(i, data.subarray(i, i + 1000));
      return w.commit(data.length, sha(data), labels);
    }

    it('writes, commits and reads back a blob, with its info and labels', async () => {
      const data = randomBytes(4500);
      const w = await writer('ref-a', { total: data.length });
      expect(w.offset()).toBe(0);
      await w.write(0, data.subarray(0, 2000));
      expect(w.offset()).toBe(2000);
      expect(w.digest()).toBe(sha(data.subarray(0, 2000)));
      await w.write(2000, data.subarray(2000));
      expect(await w.commit(data.length, sha(data), { 'containerd.io/gc.root': 'x' })).toBe(sha(data));
      const info = await cs.info(sha(data));
      expect(info).toMatchObject({ digest: sha(data), size: 4500, labels: { 'containerd.io/gc.root': 'x' } });
      expect(info.createdAt).toBeGreaterThan(0n);
      expect((await cs.readAt(sha(data), 0, 0)).equals(data)).toBe(true);
      await expect(cs.status('ref-a')).rejects.toMatchObject({ kind: 'NotFound' });
    });

    it('commits an empty blob', async () => {
      const w = await writer('empty');
      expect(await w.commit(0, sha(Buffer.alloc(0)), {})).toBe(sha(Buffer.alloc(0)));
      expect((await cs.info(sha(Buffer.alloc(0)))).size).toBe(0);
      expect((await cs.readAt(sha(Buffer.alloc(0)), 0, 0)).length).toBe(0);
    });

    it('resumes an interrupted ingest at its offset, and lists its status meanwhile', async () => {
      const data = randomBytes(3000);
      const w = await writer('resume', { total: 3000, expected: sha(data) });
      await w.write(0, data.subarray(0, 1234));
      await w.close();
      const st = await cs.status('resume');
      expect(st).toMatchObject({ ref: 'resume', offset: 1234, total: 3000, expected: sha(data) });
      expect(st.startedAt).toBeGreaterThan(0n);
      expect((await cs.listStatuses()).map((s) => s.ref)).toEqual(['resume']);
      expect(await cs.listStatuses(['ref==other'])).toEqual([]);
      const again = await writer('resume', { total: 3000, expected: sha(data) });
      expect(again.offset()).toBe(1234);
      await again.write(1234, data.subarray(1234));
      expect(await again.commit(3000, sha(data), {})).toBe(sha(data));
      expect((await cs.readAt(sha(data), 0, 0)).equals(data)).toBe(true);
      expect(await cs.listStatuses()).toEqual([]);
    });

    it('refuses a write at any offset but the end, and restarts the ingest at offset 0', async () => {
      const w = await writer('offsets');
      await w.write(0, Buffer.from('hello'));
      await expect(w.write(3, Buffer.from('x'))).rejects.toMatchObject({ kind: 'OutOfRange' });
      const w2 = await writer('offsets2');
      await w2.write(0, Buffer.from('hello'));
      await w2.write(0, Buffer.from('bye'));
      expect(w2.offset()).toBe(3);
      expect(await w2.commit(3, '', {})).toBe(sha(Buffer.from('bye')));
    });

    it('fails a commit with the wrong size or digest, leaving no blob', async () => {
      const data = Buffer.from('some bytes');
      const bySize = await writer('wrong-size');
      await bySize.write(0, data);
      await expect(bySize.commit(data.length + 1, '', {})).rejects.toMatchObject({
        kind: 'FailedPrecondition',
      });
      const byDigest = await writer('wrong-digest');
      await byDigest.write(0, data);
      await expect(byDigest.commit(0, sha(Buffer.from('other')), {})).rejects.toMatchObject({
        kind: 'FailedPrecondition',
      });
      await expect(cs.info(sha(data))).rejects.toMatchObject({ kind: 'NotFound' });
    });

    it('answers AlreadyExists for an expected digest the store already has', async () => {
      const data = Buffer.from('present');
      await put('first', data);
      await expect(cs.writer('second', { expected: sha(data) })).rejects.toMatchObject({
        kind: 'AlreadyExists',
      });
    });

    it('lets one writer hold a ref at a time', async () => {
      await writer('busy');
      await expect(cs.writer('busy')).rejects.toMatchObject({ kind: 'Unavailable' });
    });

    it('updates labels under a field mask', async () => {
      const dg = await put('l', Buffer.from('labelled'), { a: '1', b: '2' });
      const before = await cs.info(dg);
      const one = await cs.update(dg, { a: 'ignored', b: '3', c: '4' }, ['labels.b', 'labels.c']);
      expect(one.labels).toEqual({ a: '1', b: '3', c: '4' });
      expect(one.updatedAt).toBeGreaterThan(before.updatedAt);
      expect((await cs.update(dg, {}, ['labels.a'])).labels).toEqual({ b: '3', c: '4' });
      expect((await cs.update(dg, { z: '9' })).labels).toEqual({ z: '9' });
      expect((await cs.info(dg)).labels).toEqual({ z: '9' });
      await expect(cs.update(dg, {}, ['size'])).rejects.toMatchObject({ kind: 'InvalidArgument' });
      await expect(cs.update(sha(Buffer.from('none')), { a: 'b' })).rejects.toMatchObject({
        kind: 'NotFound',
      });
    });

    it('walks blobs with filters', async () => {
      const a = await put('a', Buffer.from('aaaa'), { kind: 'layer', team: 'x' });
      const b = await put('b', Buffer.from('bbbbbbbb'), { kind: 'config' });
      const c = await put('c', Buffer.from('cc'));
      const digests = async (filters?: string[]) =>
        (await collect(cs.walk(filters))).map((i) => i.digest).sort();
      expect(await digests()).toEqual([a, b, c].sort());
      expect(await digests(['labels.kind==layer'])).toEqual([a]);
      expect(await digests(['labels.kind'])).toEqual([a, b].sort());
      expect(await digests(['labels.kind==config', `digest==${c}`])).toEqual([b, c].sort());
      expect(await digests(['labels.kind==layer,labels.team==y'])).toEqual([]);
      expect((await collect(cs.walk([`digest==${b}`])))[0]).toMatchObject({ size: 8 });
    });

    it('reads byte ranges', async () => {
      const data = randomBytes(10_000);
      const dg = await put('r', data);
      expect((await cs.readAt(dg, 100, 50)).equals(data.subarray(100, 150))).toBe(true);
      expect((await cs.readAt(dg, 9_990, 0)).equals(data.subarray(9_990))).toBe(true);
      expect((await cs.readAt(dg, 9_990, 100)).equals(data.subarray(9_990))).toBe(true);
      expect((await cs.readAt(dg, 10_000, 0)).length).toBe(0);
      await expect(cs.readAt(dg, 10_001, 0)).rejects.toMatchObject({ kind: 'OutOfRange' });
      await expect(cs.readAt(sha(Buffer.from('none')), 0, 0)).rejects.toMatchObject({ kind: 'NotFound' });
    });

    it('deletes a blob', async () => {
      const dg = await put('d', Buffer.from('delete me'));
      await cs.delete(dg);
      await expect(cs.info(dg)).rejects.toMatchObject({ kind: 'NotFound' });
      await expect(cs.readAt(dg, 0, 0)).rejects.toMatchObject({ kind: 'NotFound' });
      await expect(cs.delete(dg)).rejects.toMatchObject({ kind: 'NotFound' });
      expect(await collect(cs.walk())).toEqual([]);
    });

    it('aborts an ingest, after which its ref starts from zero', async () => {
      const w = await writer('ab');
      await w.write(0, Buffer.from('partial'));
      await w.close();
      await cs.abort('ab');
      await expect(cs.status('ab')).rejects.toMatchObject({ kind: 'NotFound' });
      await expect(cs.abort('ab')).rejects.toMatchObject({ kind: 'NotFound' });
      const fresh = await writer('ab');
      expect(fresh.offset()).toBe(0);
      expect(await fresh.commit(0, '', {})).toBe(sha(Buffer.alloc(0)));
    });
  });
}
