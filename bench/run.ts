// npm run bench: the same work against tsctrd and Debian's containerd, in one run, alternating.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Daemon, type Row, containerd, ctr, median, report, tmpfs, tsctrd } from './lib.js';
import { pullRows } from './pull.js';
import { taskRows } from './tasks.js';
import { dockerReport, dockerRows } from './docker.js';
import { networkReport, networkRows } from './network.js';
import { criRows } from './cri.js';
import { buildRows } from './build.js';

/** Which rows to run: BENCH=ingest,cold,pull (default all). */
const ONLY = new Set((process.env.BENCH ?? 'ingest,cold,pull,tasks,docker,network,build,cri').split(','));

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const INGEST_MIB = Number(process.env.BENCH_INGEST_MIB ?? 1024);

async function coldStart(make: () => Daemon): Promise<number> {
  const d = make();
  const t0 = performance.now();
  await d.start();
  for (;;) {
    const r = await ctr(d, ['version']);
    if (r.code === 0) break;
  }
  const ms = performance.now() - t0;
  await d.stop();
  return ms;
}

async function ingestMBps(d: Daemon, file: string, digest: string, i: number): Promise<number> {
  const r = await ctr(d, ['content', 'ingest', '--expected-digest', digest, `bench-${i}`], { input: file });
  if (r.code !== 0) throw new Error(`${d.name} ingest failed: ${r.err}`);
  const rm = await ctr(d, ['content', 'rm', digest]);
  if (rm.code !== 0) throw new Error(`${d.name} content rm failed: ${rm.err}`);
  await new Promise((res) => setTimeout(res, 300)); // let the GC remove the blob
  return INGEST_MIB / (r.ms / 1000);
}

async function main(): Promise<void> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'tsctr-bench-'));
  const unmount = await tmpfs(base, `${Math.ceil((INGEST_MIB * 3.5) / 1024) + 3}g`);
  const rows: Row[] = [];
  try {
    if (ONLY.has('ingest')) {
      const file = path.join(base, 'blob.bin');
      execFileSync('sh', ['-c', `head -c ${INGEST_MIB}M /dev/urandom > ${file}`]);
      const digest = `sha256:${execFileSync('sha256sum', [file]).toString().slice(0, 64)}`;
      const t = tsctrd(path.join(base, 't-ingest'));
      const c = containerd(path.join(base, 'c-ingest'));
      await t.start();
      await c.start();
      const ingest: Row = {
        what: `\`ctr content ingest\` ${INGEST_MIB} MiB`,
        unit: 'MB/s',
        ours: [],
        anchor: [],
        higherIsBetter: true,
        goal: '≥ 1.0× (throughput)',
      };
      for (let i = 0; i < ROUNDS; i++) {
        ingest.ours.push(await ingestMBps(t, file, digest, i));
        ingest.anchor.push(await ingestMBps(c, file, digest, i));
      }
      await t.stop();
      await c.stop();
      await fs.rm(file);
      rows.push(ingest);
    }
    if (ONLY.has('cold')) {
      const cold: Row = {
        what: 'cold start → first `ctr version`',
        unit: 'ms',
        ours: [],
        anchor: [],
        goal: '≤ 1.0×',
      };
      for (let i = 0; i < ROUNDS; i++) {
        cold.ours.push(await coldStart(() => tsctrd(path.join(base, `t-cold-${i}`))));
        cold.anchor.push(await coldStart(() => containerd(path.join(base, `c-cold-${i}`))));
      }
      rows.push(cold);
    }
    if (ONLY.has('pull')) {
      const t = tsctrd(path.join(base, 't-pull'));
      const c = containerd(path.join(base, 'c-pull'));
      await t.start();
      await c.start();
      try {
        rows.push(...(await pullRows(t, c, ROUNDS)));
      } finally {
        await t.stop();
        await c.stop();
      }
    }
    if (ONLY.has('tasks')) {
      const t = tsctrd(path.join(base, 't-tasks'));
      const c = containerd(path.join(base, 'c-tasks'));
      await t.start();
      await c.start();
      try {
        rows.push(...(await taskRows(t, c, ROUNDS, { t: () => t.start(), c: () => c.start() })));
      } finally {
        await t.stop();
        await c.stop();
      }
    }
    if (ONLY.has('cri')) rows.push(...(await criRows(path.join(base, 'cri'), ROUNDS)));
    if (ONLY.has('docker')) {
      const { rows: drows, anchored } = await dockerRows(path.join(base, 'docker'), ROUNDS);
      process.stdout.write(`${dockerReport(drows, anchored)}\n`);
      for (const r of drows) {
        process.stdout.write(
          `${r.what}: tsctr ${r.ours.map((x) => x.toFixed(1)).join(' ')} | dockerd ${r.anchor.map((x) => x.toFixed(1)).join(' ')}\n`,
        );
      }
    }
    if (ONLY.has('build')) {
      const { rows: brows, anchored } = await buildRows(path.join(base, 'build'), ROUNDS);
      process.stdout.write(`${dockerReport(brows, anchored)}\n`);
      for (const r of brows) {
        process.stdout.write(
          `${r.what}: tsctr ${r.ours.map((x) => x.toFixed(0)).join(' ')} | dockerd ${r.anchor.map((x) => x.toFixed(0)).join(' ')}\n`,
        );
      }
    }
    if (ONLY.has('network')) {
      const { rows: nrows, anchored } = await networkRows(path.join(base, 'network'), ROUNDS);
      process.stdout.write(`${networkReport(nrows, anchored, ROUNDS)}\n`);
    }
  } finally {
    await unmount();
  }
  if (rows.length === 0) return;
  process.stdout.write(
    `${report(rows)}\n\n(${ROUNDS} alternating rounds each; medians; daemon data on tmpfs)\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `${r.what}: tsctrd ${r.ours.map((x) => x.toFixed(0)).join(' ')} | containerd ${r.anchor.map((x) => x.toFixed(0)).join(' ')} (median ratio ${(median(r.ours) / median(r.anchor)).toFixed(2)})\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
