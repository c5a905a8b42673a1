// Garbage collection through the real API: roots, label references, leases and lease expiry.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../client/connection.js';
import { writeBlob } from '../client/content.js';
import { Tsctrd } from './harness.js';
import { until } from './wait.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let d: Tsctrd;
let cfgDir: string;
beforeAll(async () => {
  cfgDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsctr-gc-'));
  const cfg = path.join(cfgDir, 'config.toml');
  await fs.writeFile(cfg, '[gc]\nperiod_ms = 200\n');
  d = await Tsctrd.start(['--config', cfg]);
});
afterAll(async () => {
  await d?.cleanup();
  await fs.rm(cfgDir, { recursive: true, force: true });
});

const onDisk = (dg: string) => existsSync(path.join(d.root, 'content', 'blobs', 'sha256', dg.slice(7)));

async function ingest(data: Buffer, ns = 'gc', labels: string[] = []): Promise<string> {
  const r = await d.ctr(['content', 'ingest', `ref-${sha(data).slice(7, 19)}`], { input: data, ns });
  expect(r.code).toBe(0);
  if (labels.length) expect((await d.ctr(['content', 'label', sha(data), ...labels], { ns })).code).toBe(0);
  return sha(data);
}

describe('garbage collection', () => {
  it('keeps roots and what their labels reference, removes the rest after a delete', async () => {
    const leaf = await ingest(randomBytes(100));
    const root = await ingest(randomBytes(100), 'gc', [
      'containerd.io/gc.root=1',
      `containerd.io/gc.ref.content.l.0=${leaf}`,
    ]);
    const loose = await ingest(randomBytes(100));
    const trigger = await ingest(randomBytes(100));
    expect((await d.ctr(['content', 'rm', trigger], { ns: 'gc' })).code).toBe(0);
    await until(() => !onDisk(loose) && !onDisk(trigger));
    const ls = (await d.ctr(['content', 'ls', '-q'], { ns: 'gc' })).stdout;
    expect(ls).toContain(root);
    expect(ls).toContain(leaf);
    expect(ls).not.toContain(loose);
    expect(onDisk(root) && onDisk(leaf)).toBe(true);
  });

  it('shares blobs across namespaces and removes the file only when no namespace has it', async () => {
    const data = randomBytes(200);
    const dg = await ingest(data, 'gca', ['containerd.io/gc.root=1']);
    await ingest(data, 'gcb', ['containerd.io/gc.root=1']);
    expect((await d.ctr(['content', 'rm', dg], { ns: 'gca' })).code).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(onDisk(dg)).toBe(true);
    expect((await d.ctr(['content', 'rm', dg], { ns: 'gcb' })).code).toBe(0);
    await until(() => !onDisk(dg));
  });

  it('protects what a lease holds until the lease is removed', async () => {
    expect((await d.ctr(['leases', 'create', '--id', 'hold'], { ns: 'gc' })).code).toBe(0);
    const c = new Connection({ address: d.address, namespace: 'gc', lease: 'hold' });
    const data = randomBytes(300);
    try {
      await writeBlob(
        c,
        'leased',
        (async function* () {
          yield data;
        })(),
      );
    } finally {
      c.close();
    }
    const trigger = await ingest(randomBytes(10));
    await d.ctr(['content', 'rm', trigger], { ns: 'gc' });
    await until(() => !onDisk(trigger));
    expect(onDisk(sha(data))).toBe(true);
    expect((await d.ctr(['leases', 'rm', '--sync', 'hold'], { ns: 'gc' })).code).toBe(0);
    expect(onDisk(sha(data))).toBe(false);
  });

  it('collects an expired lease and what it held without any other trigger', async () => {
    expect((await d.ctr(['leases', 'create', '--id', 'brief', '--expires', '1s'], { ns: 'gc' })).code).toBe(
      0,
    );
    const c = new Connection({ address: d.address, namespace: 'gc', lease: 'brief' });
    const data = randomBytes(300);
    try {
      await writeBlob(
        c,
        'brief-ref',
        (async function* () {
          yield data;
        })(),
      );
    } finally {
      c.close();
    }
    expect(onDisk(sha(data))).toBe(true);
    await until(async () => !onDisk(sha(data)), 8000);
    expect((await d.ctr(['leases', 'ls', '-q'], { ns: 'gc' })).stdout).not.toContain('brief');
  });
});
