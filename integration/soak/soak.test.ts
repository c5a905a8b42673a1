// The soak run (integration/soak/soak.ts). Short inside `npm test`; the long run on demand:
// `TSCTR_SOAK=long npx vitest run integration/soak` (2,000 run --rm cycles, then 100 containers
// logging for 10 minutes), or TSCTR_SOAK_CYCLES / TSCTR_SOAK_CONTAINERS / TSCTR_SOAK_SECONDS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, dockerFixture } from '../dockerd-harness.js';
import { runSoak, type Series } from './soak.js';

const long = process.env.TSCTR_SOAK === 'long';
const cycles = Number(process.env.TSCTR_SOAK_CYCLES ?? (long ? 2000 : 40));
const containers = Number(process.env.TSCTR_SOAK_CONTAINERS ?? (long ? 100 : 10));
const runSeconds = Number(process.env.TSCTR_SOAK_SECONDS ?? (long ? 600 : 20));

let fx: DockerFixture;

beforeAll(async () => {
  fx = await dockerFixture();
}, 60_000);

afterAll(async () => {
  await fx?.stop();
});

const show = (name: string, s: Record<string, Series>, unit: string) =>
  Object.entries(s)
    .map(([k, v]) => `  ${name} ${k}: ${v.first} → ${v.last} (max ${v.max}), slope ${v.slope}/${unit}`)
    .join('\n');

describe('soak', () => {
  it(
    `${cycles} run --rm cycles, then ${containers} containers logging for ${runSeconds} s: memory, fds and mounts stay bounded`,
    async () => {
      const r = await runSoak(fx.d, fx.ref, { cycles, containers, runSeconds });
      console.log(
        `soak: ${cycles} cycles in ${r.cycles.seconds} s; ${containers} containers for ${runSeconds} s ` +
          `(${Math.round(r.running.logBytes / 1024)} KiB of logs)\n` +
          `${show('cycles', r.cycles.series, 'cycle')}\n${show('running', r.running.series, 's')}\n` +
          `  baseline ${JSON.stringify(r.baseline)}\n  end ${JSON.stringify(r.end)}`,
      );
      const c = r.cycles.series;
      const run = r.running.series;
      // Descriptors: nothing per cycle or per second stays open; back to the baseline at the end.
      expect(c.tsctrdFds.slope).toBeLessThan(0.05);
      expect(c.dockerdFds.slope).toBeLessThan(0.05);
      expect(r.end.tsctrdFds).toBeLessThanOrEqual(r.baseline.tsctrdFds + 6);
      expect(r.end.dockerdFds).toBeLessThanOrEqual(r.baseline.dockerdFds + 6);
      expect(run.dockerdFds.max - run.dockerdFds.first).toBeLessThanOrEqual(6);
      // Mounts and shims: none left once every container is gone.
      expect(r.end.mounts).toBe(r.baseline.mounts);
      expect(r.end.shims).toBe(0);
      // Memory: bounded per process (generous: a loaded machine and V8's lazy GC), no steady climb.
      for (const k of ['tsctrdRssKb', 'dockerdRssKb'] as const) {
        expect(c[k].max).toBeLessThan(400 * 1024);
        expect(run[k].max).toBeLessThan(400 * 1024);
        // Back near where it began once the work is done (V8 grows its heap lazily at first).
        expect(r.end[k]).toBeLessThan(r.baseline[k] + 64 * 1024);
        // Over a long run the warm-up is behind: no steady climb per cycle.
        if (cycles >= 500) expect(c[k].slope).toBeLessThan(20); // KiB per cycle
      }
      expect(run.shimRssMaxKb.max).toBeLessThan(120 * 1024);
      // The metadata database does not grow with cycles that leave nothing behind.
      expect(r.end.leveldbKb).toBeLessThan(r.baseline.leveldbKb + 4096);
    },
    (cycles * 3 + runSeconds + containers * 5 + 120) * 1000,
  );
});
