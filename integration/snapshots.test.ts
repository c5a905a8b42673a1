// Snapshot details: images deeper than the overlay mount-option page, and Diff producing a layer.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tsctrd } from './harness.js';
import { type RunningRegistry, pushTestImage, startRegistry } from './registry.js';
import { buildImage, busyboxEntries } from './testimages.js';

let d: Tsctrd;
let reg: RunningRegistry;

beforeAll(async () => {
  reg = await startRegistry();
  d = await Tsctrd.start();
});
afterAll(async () => {
  await d?.cleanup();
  await reg?.stop();
});

describe('snapshots', () => {
  it('mounts an 80-layer image although its lowerdir list is longer than a page', async () => {
    const layers = [
      busyboxEntries(),
      ...Array.from({ length: 79 }, (_, i) => [{ name: `l${i}`, data: `layer ${i}\n` }]),
    ];
    const ref = await pushTestImage(reg, 'deep:v1', await buildImage(layers));
    const p = await d.tsctr(['images', 'pull', '--plain-http', ref], { timeoutMs: 120_000 });
    expect(p.code, p.stderr).toBe(0);
    const m = JSON.parse(
      (await d.tsctr(['snapshots', 'view', '--mounts', 'deepview', (await topChain(d)).trim()])).stdout,
    ) as Array<{
      options: string[];
    }>;
    expect(m[0].options.join(',').length).toBeGreaterThan(4096);
    const target = path.join(d.dir, 'deep');
    mkdirSync(target);
    const mnt = await d.tsctr(['images', 'mount', ref, target]);
    expect(mnt.code, mnt.stderr).toBe(0);
    try {
      expect(readFileSync(path.join(target, 'l0'), 'utf8')).toBe('layer 0\n');
      expect(readFileSync(path.join(target, 'l78'), 'utf8')).toBe('layer 78\n');
    } finally {
      await d.tsctr(['images', 'unmount', '--rm', target]);
    }
  });

  it('turns the changes in an active snapshot into a layer with ctr snapshots diff', async () => {
    const ref = await pushTestImage(reg, 'base:v1', await buildImage([busyboxEntries()]));
    expect((await d.tsctr(['images', 'pull', '--plain-http', ref], { ns: 'diffns' })).code).toBe(0);
    const target = path.join(d.dir, 'work');
    mkdirSync(target);
    expect((await d.tsctr(['images', 'mount', '--rw', ref, target], { ns: 'diffns' })).code).toBe(0);
    try {
      writeFileSync(path.join(target, 'added.txt'), 'new file\n');
      execFileSync('rm', [path.join(target, 'etc/group')]);
    } finally {
      execFileSync('umount', [target]);
    }
    const out = path.join(d.dir, 'diff.tar.gz');
    const r = await d.ctr(['snapshots', 'diff', target], { ns: 'diffns' });
    expect(r.code, r.stderr).toBe(0);
    writeFileSync(out, Buffer.from(r.stdout, 'latin1'));
    const listing = execFileSync('sh', [
      '-c',
      `ctr -a ${d.address} -n diffns snapshots diff ${target} | tar -tzf -`,
    ]).toString();
    expect(listing.split('\n')).toEqual(expect.arrayContaining(['added.txt', 'etc/', 'etc/.wh.group']));
  });
});

async function topChain(t: Tsctrd): Promise<string> {
  const ls = (await t.tsctr(['snapshots', 'ls'])).stdout.split('\n').slice(1);
  const committed = ls.map((l) => l.split(/\s+/)).filter((c) => c[2] === 'Committed');
  const parents = new Set(committed.map((c) => c[1]));
  return committed.find((c) => !parents.has(c[0]))![0];
}
