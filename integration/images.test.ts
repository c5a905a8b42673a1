// Issue 3 end to end: images from a real registry, pulled by the real ctr and by tsctr into tsctrd.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tsctrd, run } from './harness.js';
import { type RunningRegistry, pushTestImage, startRegistry } from './registry.js';
import { busybox, layered } from './testimages.js';

let d: Tsctrd;
let reg: RunningRegistry;
let bbRef: string;
let layRef: string;

beforeAll(async () => {
  reg = await startRegistry();
  bbRef = await pushTestImage(reg, 'busybox:latest', await busybox());
  layRef = await pushTestImage(reg, 'layered:v1', await layered());
  d = await Tsctrd.start();
});
afterAll(async () => {
  await d?.cleanup();
  await reg?.stop();
});

/** Files, types, modes, owners and contents of a tree (what a user would compare). */
function tree(dir: string): string {
  return execFileSync('sh', [
    '-c',
    `cd ${dir} && find . -printf '%p %y %m %U:%G %s %l\\n' | sort`,
  ]).toString();
}

async function withMounted<T>(ns: string, ctrRef: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const target = path.join(d.dir, `m-${ns}-${Date.now()}`);
  mkdirSync(target);
  const r = await d.tsctr(['images', 'mount', ctrRef, target], { ns });
  expect(r.stderr).toBe('');
  try {
    return await fn(target);
  } finally {
    await d.tsctr(['images', 'unmount', '--rm', target], { ns });
  }
}

describe('ctr images pull against tsctrd', () => {
  it('pulls, lists, checks and unpacks an image from a real registry', async () => {
    const r = await d.ctr(['images', 'pull', '--plain-http', bbRef], { ns: 'ctrpull', timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/unpacking linux\/amd64 sha256:[0-9a-f]{64}\.\.\.\ndone/);
    const ls = await d.ctr(['images', 'ls'], { ns: 'ctrpull' });
    expect(ls.stdout).toContain(bbRef);
    expect(ls.stdout).toContain('linux/amd64');
    const check = await d.ctr(['images', 'check'], { ns: 'ctrpull' });
    expect(check.stdout).toMatch(/complete \(2\/2\)\s+1\.\d+ MiB\/1\.\d+ MiB\s+true/);
    const snaps = await d.ctr(['snapshots', 'ls'], { ns: 'ctrpull' });
    expect(snaps.stdout).toMatch(/sha256:[0-9a-f]{64}\s+Committed/);
  });

  it('gives the same snapshot contents as tsctr images pull', async () => {
    const a = await d.ctr(['images', 'pull', '--plain-http', layRef], { ns: 'viactr', timeoutMs: 60_000 });
    expect(a.code, a.stderr).toBe(0);
    const b = await d.tsctr(['images', 'pull', '--plain-http', layRef], {
      ns: 'viatsctr',
      timeoutMs: 60_000,
    });
    expect(b.stderr).not.toMatch(/error|failed/i);
    expect(b.code, b.stderr).toBe(0);
    const t1 = await withMounted('viactr', layRef, async (dir) => {
      expect(existsSync(path.join(dir, 'data/a'))).toBe(false);
      expect(existsSync(path.join(dir, 'gone'))).toBe(false);
      expect(await fs.readdir(path.join(dir, 'keep'))).toEqual(['new']);
      expect((await fs.readFile(path.join(dir, 'data/link-to-b'))).toString()).toBe('beta\n');
      expect((await fs.stat(path.join(dir, 'keep/new'))).uid).toBe(1000);
      return tree(dir);
    });
    const t2 = await withMounted('viatsctr', layRef, async (dir) => tree(dir));
    expect(t2).toEqual(t1);
    expect(t1).toContain('./bin/busybox f 755 0:0');
  });

  it('round-trips ctr images export and import', async () => {
    const file = path.join(d.dir, 'export.tar');
    const ex = await d.ctr(['images', 'export', file, bbRef], { ns: 'ctrpull' });
    expect(ex.code, ex.stderr).toBe(0);
    const im = await d.ctr(['images', 'import', '--base-name', 'imported', file], {
      ns: 'imported',
      timeoutMs: 60_000,
    });
    expect(im.stderr).toBe('');
    expect(im.code, im.stderr).toBe(0);
    const ls = await d.ctr(['images', 'ls', '-q'], { ns: 'imported' });
    expect(ls.stdout).toContain(bbRef);
    const chk = await d.ctr(['images', 'check'], { ns: 'imported' });
    expect(chk.stdout).toMatch(/complete/);
  });

  it('leaves no blob and no snapshot after images rm and GC', async () => {
    const rm = await d.ctr(['images', 'rm', '--sync', bbRef], { ns: 'ctrpull' });
    expect(rm.code, rm.stderr).toBe(0);
    expect((await d.ctr(['content', 'ls', '-q'], { ns: 'ctrpull' })).stdout.trim()).toBe('');
    expect((await d.ctr(['snapshots', 'ls'], { ns: 'ctrpull' })).stdout.trim()).toBe('KEY PARENT KIND');
  });
});

describe('tsctr images', () => {
  it('pulls with progress lines, tags, pushes back and removes', async () => {
    const p = await d.tsctr(['images', 'pull', '--plain-http', bbRef], { ns: 'tools' });
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/layer-[0-9a-f]{12}: (downloading|downloaded|unpacked)/);
    const tagged = `${reg.host}/copy:v2`;
    const tag = await d.tsctr(['images', 'tag', bbRef, tagged], { ns: 'tools' });
    expect(tag.stderr).toBe('');
    const push = await d.tsctr(['images', 'push', '--plain-http', tagged], { ns: 'tools' });
    expect(push.stderr).not.toMatch(/tsctr:/);
    expect(push.code, push.stderr).toBe(0);
    const again = await d.ctr(['images', 'pull', '--plain-http', tagged], { ns: 'fromcopy' });
    expect(again.code, again.stderr).toBe(0);
    expect((await d.ctr(['images', 'check'], { ns: 'fromcopy' })).stdout).toMatch(/complete/);
    {
      const rr = await d.tsctr(['images', 'rm', tagged], { ns: 'tools' });
      expect(rr.code, rr.stderr).toBe(0);
    }
    const ls = await d.tsctr(['images', 'ls', '-q'], { ns: 'tools' });
    expect(ls.stdout).not.toContain(tagged);
  });
});

describe('tsctr images export/import', () => {
  it('round-trips through an OCI layout tar that ctr also imports', async () => {
    {
      const rr = await d.tsctr(['images', 'pull', '--plain-http', layRef], { ns: 'exp' });
      expect(rr.code, rr.stderr).toBe(0);
    }
    const file = path.join(d.dir, 'tsctr-export.tar');
    const ex = await d.tsctr(['images', 'export', file, layRef], { ns: 'exp' });
    expect(ex.stderr).toBe('');
    expect(ex.code, ex.stderr).toBe(0);
    const listing = execFileSync('tar', ['-tf', file]).toString().split('\n');
    expect(listing).toContain('oci-layout');
    expect(listing).toContain('index.json');
    expect(listing).toContain('manifest.json');
    const viaTsctr = await d.tsctr(['images', 'import', file], { ns: 'imp1' });
    expect(viaTsctr.stderr).toBe('');
    expect(viaTsctr.stdout.trim()).toBe(layRef);
    const viaCtr = await d.ctr(['images', 'import', file], { ns: 'imp2' });
    expect(viaCtr.code, viaCtr.stderr).toBe(0);
    const t1 = await withMounted('imp1', layRef, async (dir) => tree(dir));
    const t2 = await withMounted('imp2', layRef, async (dir) => tree(dir));
    expect(t1).toEqual(t2);
    expect(t1).toContain('./keep/new f 644 1000:1000');
  });
});

export { run };
