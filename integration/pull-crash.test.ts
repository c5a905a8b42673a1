// Pulls that go wrong: tsctrd killed in the middle, and a registry serving corrupt bytes.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, Tsctrd } from './harness.js';
import { type Proxy, startProxy } from './proxy.js';
import { type RunningRegistry, pushTestImage, startRegistry } from './registry.js';
import { type TestImage, buildImage, busyboxEntries } from './testimages.js';
import { until } from './wait.js';

let d: Tsctrd;
let reg: RunningRegistry;
let proxy: Proxy;
let img: TestImage;

beforeAll(async () => {
  reg = await startRegistry();
  img = await buildImage([
    busyboxEntries(),
    [{ name: 'big.bin', data: randomBytes(24 << 20) }],
    [{ name: 'small', data: 'x' }],
  ]);
  await pushTestImage(reg, 'big:v1', img);
  proxy = await startProxy(reg.host);
  d = await Tsctrd.start();
});
afterAll(async () => {
  await d?.cleanup();
  await proxy?.close();
  await reg?.stop();
});

async function blobsIntact(): Promise<number> {
  const dir = path.join(d.root, 'content', 'blobs', 'sha256');
  const names = await fs.readdir(dir);
  for (const n of names) {
    const h = createHash('sha256')
      .update(await fs.readFile(path.join(dir, n)))
      .digest('hex');
    expect(h, `blob ${n} is corrupt`).toBe(n);
  }
  return names.length;
}

describe('kill -9 of tsctrd in the middle of a pull', () => {
  it('resumes on the next pull, keeps every blob intact, and leaks nothing once GC has run', async () => {
    const ref = `${proxy.host}/big:v1`;
    proxy.opts.bytesPerSecond = 4 << 20;
    const child: ChildProcess = spawn(
      process.execPath,
      [path.join(DIST, 'tsctr.js'), '-a', d.address, 'images', 'pull', '--plain-http', ref],
      {
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await until(async () =>
      /layer-sha256:\S+\s+[2-9]\.\d+MB|\d\d\.\d+MB/.test((await d.ctr(['content', 'active'])).stdout),
    );
    await d.kill9();
    expect(await exited).not.toBe(0);

    await d.start();
    proxy.opts.bytesPerSecond = 0;
    const again = await d.tsctr(['images', 'pull', '--plain-http', ref], { timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(await blobsIntact()).toBe(img.blobs.size);

    // Any deletion runs the GC; then nothing of the killed pull may remain.
    const dummy = randomBytes(16);
    await d.ctr(['content', 'ingest', 'dummy'], { input: dummy });
    await d.ctr(['content', 'rm', `sha256:${createHash('sha256').update(dummy).digest('hex')}`]);
    await until(
      async () =>
        (await d.ctr(['content', 'active'])).stdout.trim() === 'REF\tSIZE\tAGE'.replace(/\t/g, '\t'),
      5000,
    ).catch(() => undefined);
    expect((await d.ctr(['content', 'active'])).stdout).not.toMatch(/sha256/);
    expect((await d.ctr(['leases', 'ls', '-q'])).stdout.trim()).toBe('');
    const snaps = (await d.ctr(['snapshots', 'ls'])).stdout;
    expect(snaps).not.toContain('extract-');
    expect(snaps.match(/Committed/g)?.length).toBe(3);
    await until(async () => (await fs.readdir(path.join(d.root, 'content', 'ingest'))).length === 0, 5000);
    const dirs = (await fs.readdir(path.join(d.root, 'snapshots', 'overlayfs', 'snapshots'))).filter((n) =>
      /^\d+$/.test(n),
    );
    expect(dirs.length).toBe(3);
  });
});

describe('a registry serving bytes that do not match their digest', () => {
  it('fails the pull clearly and commits nothing for the bad blob', async () => {
    // A fresh image, so no blob of it is on disk already (known blobs are not downloaded again).
    const fresh = await buildImage([busyboxEntries(), [{ name: 'payload', data: randomBytes(1 << 20) }]]);
    await pushTestImage(reg, 'bad:v1', fresh);
    const bad = fresh.layers[1];
    proxy.opts.corrupt = new RegExp(bad.digest.slice(7));
    try {
      const ref = `${proxy.host}/bad:v1`;
      const r = await d.tsctr(['images', 'pull', '--plain-http', ref], { ns: 'corrupt', timeoutMs: 60_000 });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/digest/i);
      const c = await d.ctr(['images', 'pull', '--plain-http', ref], { ns: 'corrupt2', timeoutMs: 60_000 });
      expect(c.code).not.toBe(0);
      for (const ns of ['corrupt', 'corrupt2']) {
        expect((await d.ctr(['content', 'ls', '-q'], { ns })).stdout).not.toContain(bad.digest);
        expect((await d.ctr(['images', 'ls', '-q'], { ns })).stdout).not.toContain('bad:v1');
      }
      await blobsIntact();
    } finally {
      proxy.opts.corrupt = undefined;
    }
  });
});
