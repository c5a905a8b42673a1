// The metadata DB: one writer at a time, atomic batches, work after commit, and the GC lock.
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetadataDB } from './db.js';
import { keys } from './keys.js';

let dir: string;
let db: MetadataDB;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-meta-'));
  db = await MetadataDB.open(dir);
});
afterEach(async () => {
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function collect<T>(it: AsyncIterable<[string, T]>): Promise<Array<[string, T]>> {
  const out: Array<[string, T]> = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('MetadataDB', () => {
  it('commits all of a transaction, and keeps it across a reopen', async () => {
    await db.update(async (tx) => {
      tx.put(keys.object('ns', 'image', 'a'), { v: 1 });
      tx.put(keys.object('ns', 'image', 'b'), { v: 2 });
    });
    await db.close();
    db = await MetadataDB.open(dir);
    expect(await db.get(keys.object('ns', 'image', 'a'))).toEqual({ v: 1 });
    expect((await collect(db.scan(keys.objects('ns', 'image')))).map(([, v]) => v)).toEqual([
      { v: 1 },
      { v: 2 },
    ]);
  });

  it('writes nothing and runs no after-commit work when the transaction throws', async () => {
    let ran = false;
    await expect(
      db.update(async (tx) => {
        tx.put(keys.object('ns', 'image', 'a'), 1);
        tx.afterCommit(() => void (ran = true));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.get(keys.object('ns', 'image', 'a'))).toBeUndefined();
    expect(ran).toBe(false);
    // The writer queue is not stuck after a failure.
    expect(await db.update(async () => 'next')).toBe('next');
  });

  it('runs after-commit work once the batch is readable, in order', async () => {
    const seen: unknown[] = [];
    await db.update(async (tx) => {
      tx.put('k', 'v');
      tx.afterCommit(async () => void seen.push(await db.get('k')));
      tx.afterCommit(() => void seen.push('second'));
    });
    expect(seen).toEqual(['v', 'second']);
  });

  it('runs writers one at a time, so read-modify-write never loses an update', async () => {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.update(async (tx) => {
          const n = (await tx.get<number>('counter')) ?? 0;
          await new Promise((r) => setImmediate(r));
          tx.put('counter', n + 1);
        }),
      ),
    );
    expect(await db.get('counter')).toBe(20);
  });

  it('lets a transaction see its own puts and deletes in get, scan and has', async () => {
    const p = keys.objects('ns', 'container');
    await db.update(async (tx) => {
      tx.put(keys.object('ns', 'container', 'b'), 'b');
      tx.put(keys.object('ns', 'container', 'd'), 'd');
    });
    await db.update(async (tx) => {
      tx.put(keys.object('ns', 'container', 'a'), 'a');
      tx.put(keys.object('ns', 'container', 'c'), 'c');
      tx.del(keys.object('ns', 'container', 'd'));
      expect(await tx.get(keys.object('ns', 'container', 'd'))).toBeUndefined();
      expect((await collect(tx.scan(p))).map(([, v]) => v)).toEqual(['a', 'b', 'c']);
      expect(await tx.has(keys.objects('ns', 'image'))).toBe(false);
      tx.put(keys.object('ns', 'image', 'x'), 1);
      expect(await tx.has(keys.objects('ns', 'image'))).toBe(true);
      // Nothing is visible outside before the commit.
      expect(await db.get(keys.object('ns', 'container', 'a'))).toBeUndefined();
    });
    expect((await collect(db.scan(p))).map(([, v]) => v)).toEqual(['a', 'b', 'c']);
  });

  it('keeps namespaces apart in prefix scans', async () => {
    await db.update(async (tx) => {
      tx.put(keys.object('a', 'image', 'x'), 1);
      tx.put(keys.object('ab', 'image', 'y'), 2);
      await tx.ensureNamespace('a');
      await tx.ensureNamespace('ab');
    });
    expect((await collect(db.scan(keys.objects('a')))).map(([, v]) => v)).toEqual([1]);
    expect((await collect(db.scan(keys.namespaces()))).length).toBe(2);
    expect(await db.has(keys.objects('b'))).toBe(false);
  });

  it('tells mutation listeners about each commit and its deletions', async () => {
    const calls: Array<[number, number]> = [];
    db.onMutation((d, m) => calls.push([d, m]));
    await db.update(async (tx) => tx.put('a', 1));
    await db.update(async (tx) => {
      tx.del('a');
      tx.markDeleted();
    });
    await db.update(async () => undefined);
    expect(calls).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('holds writers back while the GC holds its lock exclusively', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gc = db.gcLock.exclusive(async () => {
      order.push('gc start');
      await new Promise<void>((r) => (release = r));
      order.push('gc end');
    });
    await new Promise((r) => setImmediate(r));
    const write = db.update(async (tx) => {
      order.push('write');
      tx.put('x', 1);
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual(['gc start']);
    release();
    await Promise.all([gc, write]);
    expect(order).toEqual(['gc start', 'gc end', 'write']);
  });
});
