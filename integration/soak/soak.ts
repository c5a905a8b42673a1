// The soak run: `docker run --rm` cycles, then many containers running at once with their logs
// flowing, while the resident memory and descriptors of tsctrd, tsctr-dockerd and the shims, the
// mounts and the LevelDB size are sampled. Reports each series' slope (least squares, after a
// warm-up) and its start and end, so growth is visible as a number.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Dockerd } from '../dockerd-harness.js';
import { shimsOf, usage } from '../chaos/procs.js';

export interface SoakOptions {
  /** `docker run --rm` cycles (issue 14: 2,000 in the long run). */
  cycles: number;
  /** Containers running at once with logs flowing (100 in the long run). */
  containers: number;
  /** How long they run (10 minutes in the long run). */
  runSeconds: number;
}

export interface Sample {
  /** Cycle number (phase 1) or seconds since phase 2 began. */
  x: number;
  tsctrdRssKb: number;
  tsctrdFds: number;
  dockerdRssKb: number;
  dockerdFds: number;
  shims: number;
  shimRssMaxKb: number;
  shimRssAvgKb: number;
  mounts: number;
  leveldbKb: number;
}

export interface Series {
  first: number;
  last: number;
  max: number;
  /** Per unit of x (per cycle, or per second), after the warm-up. */
  slope: number;
}

export interface SoakReport {
  cycles: { samples: Sample[]; seconds: number; series: Record<string, Series> };
  running: { samples: Sample[]; seconds: number; series: Record<string, Series>; logBytes: number };
  /** After everything is removed. */
  end: Sample;
  baseline: Sample;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function duKb(dir: string): number {
  try {
    return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return 0;
  }
}

export function sample(d: Dockerd, x: number): Sample {
  const t = usage(d.tsctrd.proc?.pid ?? 0);
  const k = usage(d.proc?.pid ?? 0);
  const shims = shimsOf(d.tsctrd.address).filter((s) => !s.spare);
  const rss = shims.map((s) => usage(s.pid).rssKb);
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((l) => (l.split(' ')[1] ?? '').startsWith(d.tsctrd.dir)).length;
  return {
    x,
    tsctrdRssKb: t.rssKb,
    tsctrdFds: t.fds,
    dockerdRssKb: k.rssKb,
    dockerdFds: k.fds,
    shims: shims.length,
    shimRssMaxKb: rss.length ? Math.max(...rss) : 0,
    shimRssAvgKb: rss.length ? Math.round(rss.reduce((a, b) => a + b, 0) / rss.length) : 0,
    mounts,
    leveldbKb: duKb(path.join(d.tsctrd.root, 'metadata')),
  };
}

function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function seriesOf(samples: Sample[]): Record<string, Series> {
  const out: Record<string, Series> = {};
  const warm = samples.slice(Math.floor(samples.length / 5));
  for (const key of Object.keys(samples[0]).filter((k) => k !== 'x') as Array<keyof Sample>) {
    const ys = samples.map((s) => s[key]);
    out[key] = {
      first: ys[0],
      last: ys[ys.length - 1],
      max: Math.max(...ys),
      slope:
        Math.round(
          slope(
            warm.map((s) => s.x),
            warm.map((s) => s[key]),
          ) * 1000,
        ) / 1000,
    };
  }
  return out;
}

export async function runSoak(d: Dockerd, ref: string, o: SoakOptions): Promise<SoakReport> {
  const baseline = sample(d, 0);
  // Phase 1: run --rm cycles, output checked.
  const cyc: Sample[] = [];
  const t0 = Date.now();
  const every = Math.max(1, Math.floor(o.cycles / 40));
  for (let i = 1; i <= o.cycles; i++) {
    const r = await d.docker(['run', '--rm', ref, 'echo', `c${i}`]);
    if (r.stdout !== `c${i}\n`) throw new Error(`cycle ${i}: ${r.code} ${r.stdout} ${r.stderr}`);
    if (i % every === 0) cyc.push(sample(d, i));
  }
  const cycSeconds = (Date.now() - t0) / 1000;
  // Phase 2: many containers at once, each writing a line every 100 ms.
  const names = Array.from({ length: o.containers }, (_, i) => `soak-${i}`);
  for (const n of names) {
    const r = await d.docker([
      'run',
      '-d',
      '--name',
      n,
      '--log-opt',
      'max-size=1m',
      '--log-opt',
      'max-file=2',
      ref,
      'sh',
      '-c',
      'i=0; while true; do i=$((i+1)); echo "line $i of a soak container"; sleep 0.1; done',
    ]);
    if (r.code !== 0) throw new Error(`run ${n}: ${r.stderr}`);
  }
  const run: Sample[] = [];
  const t1 = Date.now();
  while (Date.now() - t1 < o.runSeconds * 1000) {
    run.push(sample(d, Math.round((Date.now() - t1) / 1000)));
    await sleep(Math.max(1000, (o.runSeconds * 1000) / 40));
  }
  run.push(sample(d, Math.round((Date.now() - t1) / 1000)));
  let logBytes = 0;
  for (const n of names) {
    const tail = await d.docker(['logs', '--tail', '1', n]);
    if (!/^line \d+ of a soak container\n$/.test(tail.stdout))
      throw new Error(`logs of ${n}: ${tail.stdout}`);
    const id = (await d.docker(['inspect', '-f', '{{.Id}}', n])).stdout.trim();
    logBytes += duKb(path.join(d.dataRoot, 'containers', id)) * 1024;
  }
  const rm = await d.docker(['rm', '-f', ...names], { timeoutMs: 120_000 });
  if (rm.code !== 0) throw new Error(`rm: ${rm.stderr}`);
  await sleep(2000);
  return {
    cycles: { samples: cyc, seconds: Math.round(cycSeconds), series: seriesOf(cyc) },
    running: { samples: run, seconds: o.runSeconds, series: seriesOf(run), logBytes },
    end: sample(d, 0),
    baseline,
  };
}
