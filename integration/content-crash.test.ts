// Crash safety and bad input for the content store, against a real tsctrd process.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentClient } from '../api/gen/containerd/services/content/v1/content.js';
import { Connection } from '../client/connection.js';
import { writeBlob } from '../client/content.js';
import { Tsctrd, run } from './harness.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const MiB = 1 << 20;

let d: Tsctrd;
beforeAll(async () => {
  d = await Tsctrd.start();
});
afterAll(async () => {
  await d?.cleanup();
});

async function* chunks(data: Buffer, stallAfter?: number, stalled?: Promise<void>) {
  for (let i = 0; i < data.length; i += MiB) {
    if (stallAfter !== undefined && i >= stallAfter) await stalled;
    yield data.subarray(i, i + MiB);
  }
}

describe('kill -9 in the middle of a content write', () => {
  it('resumes at the same offset after restart and commits the right blob', async () => {
    const data = randomBytes(8 * MiB + 123);
    const c = new Connection({ address: d.address });
    let acked = 0;
    let reached!: () => void;
    const atThree = new Promise<void>((r) => (reached = r));
    const never = new Promise<void>(() => undefined);
    const writing = writeBlob(c, 'crash-ref', chunks(data, 3 * MiB, never), {
      total: data.length,
      expected: sha(data),
      progress: (o) => {
        acked = o;
        if (o >= 3 * MiB) reached();
      },
    }).catch((e: unknown) => e);
    await atThree;
    await d.kill9();
    c.close();
    void writing; // its source never ends: the daemon died under it
    expect(acked).toBe(3 * MiB);

    await d.start();
    const active = await d.ctr(['content', 'active']);
    expect(active.stdout).toMatch(/crash-ref\s+3\.146MB/);

    const c2 = new Connection({ address: d.address });
    try {
      const r = await writeBlob(c2, 'crash-ref', chunks(data), { total: data.length, expected: sha(data) });
      expect(r.resumedAt).toBe(3 * MiB);
      expect(r.digest).toBe(sha(data));
    } finally {
      c2.close();
    }
    const blob = await fs.readFile(path.join(d.root, 'content', 'blobs', 'sha256', sha(data).slice(7)));
    expect(blob.equals(data)).toBe(true);
    expect((await d.ctr(['content', 'active'])).stdout).not.toContain('crash-ref');
  });

  it('lets the real ctr finish an ingest that tsctrd lost mid-way', async () => {
    const data = randomBytes(5 * MiB);
    const c = new Connection({ address: d.address });
    let reached!: () => void;
    const atTwo = new Promise<void>((r) => (reached = r));
    const writing = writeBlob(c, 'ctr-crash', chunks(data, 2 * MiB, new Promise(() => undefined)), {
      progress: (o) => o >= 2 * MiB && reached(),
    }).catch((e: unknown) => e);
    await atTwo;
    await d.kill9();
    c.close();
    void writing;
    await d.start();
    // ctr resumes by seeking its input to the ingest's offset: give it a file, as a user would.
    const file = path.join(d.dir, 'resume.bin');
    await fs.writeFile(file, data);
    const r = await run('sh', [
      '-c',
      `ctr -a ${d.address} content ingest --expected-digest ${sha(data)} ctr-crash < ${file}`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await d.ctr(['content', 'ls', '-q'])).stdout).toContain(sha(data));
  });
});

describe('bad input', () => {
  function raw(): ContentClient {
    return new Connection({ address: d.address }).content;
  }

  it('gets InvalidArgument for malformed digests and writes nothing', async () => {
    const c = new Connection({ address: d.address });
    try {
      for (const digest of [
        'sha256:zz',
        '../../etc/passwd',
        'sha256:../../x',
        `sha256:${'A'.repeat(64)}`,
        'md5:abc',
      ]) {
        await expect(c.call(c.content, c.content.info, { digest })).rejects.toMatchObject({
          kind: 'InvalidArgument',
        });
        await expect(c.call(c.content, c.content.delete, { digest })).rejects.toMatchObject({
          kind: 'InvalidArgument',
        });
      }
    } finally {
      c.close();
    }
    expect(raw()).toBeDefined();
  });

  it('refuses a 10 MB label and leaves the blob unchanged', async () => {
    const data = randomBytes(64);
    expect((await d.ctr(['content', 'ingest', 'label-ref'], { input: data })).code).toBe(0);
    const c = new Connection({ address: d.address });
    try {
      const huge = 'x'.repeat(10 * 1000 * 1000);
      await expect(
        c.call(c.content, c.content.update, {
          info: { digest: sha(data), size: 0, labels: { big: huge } },
          updateMask: ['labels.big'],
        }),
      ).rejects.toMatchObject({ kind: 'InvalidArgument' });
      await expect(
        c.call(c.namespaces, c.namespaces.create, { namespace: { name: 'biglabel', labels: { big: huge } } }),
      ).rejects.toMatchObject({ kind: 'InvalidArgument' });
      const info = await c.call(c.content, c.content.info, { digest: sha(data) });
      expect(info.info?.labels).toEqual({});
    } finally {
      c.close();
    }
    expect((await d.ctr(['namespaces', 'ls', '-q'])).stdout).not.toContain('biglabel');
  });

  it('answers Unavailable to a second writer on a locked ref', async () => {
    const c = new Connection({ address: d.address });
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let started!: () => void;
      const isOpen = new Promise<void>((r) => (started = r));
      const first = writeBlob(
        c,
        'locked-ref',
        (async function* () {
          yield randomBytes(10);
          started();
          await gate;
        })(),
      );
      await isOpen;
      await new Promise((r) => setTimeout(r, 100));
      await expect(writeBlob(c, 'locked-ref', (async function* () {})())).rejects.toMatchObject({
        kind: 'Unavailable',
      });
      release();
      await first;
    } finally {
      c.close();
    }
  });

  it('refuses a second tsctrd on the same root with a clear message', async () => {
    const other = await run(
      process.execPath,
      d.args().map((a) => (a === d.address ? path.join(d.dir, 'other.sock') : a)),
      {
        timeoutMs: 10_000,
      },
    );
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/another tsctrd is already using root/);
    expect(existsSync(path.join(d.dir, 'other.sock'))).toBe(false);
    expect((await d.ctr(['version'])).code).toBe(0);
  });
});
