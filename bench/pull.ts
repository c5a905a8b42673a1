// Pull benchmarks: cold pull+unpack of the same images from the same local registry, by
// `tsctr images pull` and `ctr images pull` against tsctrd, and by `ctr images pull` against Debian's
// containerd; alternated, medians, ratios. Data of both daemons on one tmpfs.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type RunningRegistry, startRegistry } from '../client/remotes/testing/registry-process.js';
import { CACHE, debianImage, manyFilesImage, pushBuilt } from './images.js';
import { type Daemon, REPO, type Row, ctr, daemonEnv } from './lib.js';

function time(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: daemonEnv() });
    let err = '';
    p.stderr!.on('data', (b: Buffer) => (err += b));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0
        ? resolve(performance.now() - t0)
        : reject(new Error(`${cmd} ${args.join(' ')} failed: ${err}`)),
    );
  });
}

/** Removes the image and waits for the GC, then checks the stores are empty (a truly cold next pull). */
async function clean(d: Daemon, ref: string): Promise<void> {
  await ctr(d, ['images', 'rm', '--sync', ref]);
  for (let i = 0; i < 100; i++) {
    const c = await ctr(d, ['content', 'ls', '-q']);
    const s = await ctr(d, ['snapshots', 'ls']);
    if (c.out.trim() === '' && s.out.trim().split('\n').length <= 1) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${d.name} still holds content or snapshots after removing ${ref}`);
}

const tsctrPull = (d: Daemon, ref: string) =>
  time(process.execPath, [
    path.join(REPO, 'dist/tsctr.js'),
    '-a',
    d.address,
    'images',
    'pull',
    '--plain-http',
    ref,
  ]);
const ctrPull = (d: Daemon, ref: string) =>
  time('ctr', ['-a', d.address, 'images', 'pull', '--plain-http', ref]);

export async function pullRows(t: Daemon, c: Daemon, rounds: number): Promise<Row[]> {
  const reg: RunningRegistry = await startRegistry();
  try {
    const images: Array<[string, string]> = [
      ['debian 4 layers', await pushBuilt(reg.host, 'debian:bench', debianImage())],
      ['30,000 files', await pushBuilt(reg.host, 'manyfiles:bench', manyFilesImage())],
    ];
    const source = existsSync(path.join(CACHE, 'rootfs', 'SOURCE'))
      ? readFileSync(path.join(CACHE, 'rootfs', 'SOURCE'), 'utf8').trim()
      : 'debootstrap bookworm minbase';
    const rows: Row[] = [];
    for (const [what, ref] of images) {
      const a: Row = {
        what: `cold pull+unpack ${what}: tsctr→tsctrd vs ctr→containerd`,
        unit: 'ms',
        ours: [],
        anchor: [],
        goal: '≤ 0.5×',
      };
      const b: Row = {
        what: `cold pull+unpack ${what}: ctr→tsctrd vs ctr→containerd`,
        unit: 'ms',
        ours: [],
        anchor: [],
        goal: '≤ 1.0×',
      };
      // One warm-up each (page cache, disk), discarded.
      await tsctrPull(t, ref);
      await clean(t, ref);
      await ctrPull(c, ref);
      await clean(c, ref);
      for (let i = 0; i < rounds; i++) {
        a.ours.push(await tsctrPull(t, ref));
        await clean(t, ref);
        const anchor = await ctrPull(c, ref);
        await clean(c, ref);
        a.anchor.push(anchor);
        b.ours.push(await ctrPull(t, ref));
        await clean(t, ref);
        b.anchor.push(anchor);
      }
      rows.push(a, b);
    }
    process.stdout.write(`(debian image source: ${source})\n`);
    return rows;
  } finally {
    await reg.stop();
  }
}
