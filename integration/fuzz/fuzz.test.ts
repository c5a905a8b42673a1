// The fuzz targets' short run inside `npm test`: every target replays its committed seeds and
// regressions, then fuzzes for TSCTR_FUZZ_SECONDS (default 10) in its own process. Long runs:
// `TSCTR_FUZZ_SECONDS=600 npx vitest run integration/fuzz` or `node --import tsx
// integration/fuzz/run.ts --seconds 600 --save <target>` (see README, "Fuzzing").
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO, type FuzzReport } from './engine.js';
import { TARGETS } from './targets/index.js';

const seconds = Number(process.env.TSCTR_FUZZ_SECONDS ?? 10);
const seed = Number(process.env.TSCTR_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe('fuzz', () => {
  for (const name of Object.keys(TARGETS)) {
    it(
      name,
      () => {
        const r = spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            'integration/fuzz/run.ts',
            '--seconds',
            String(seconds),
            '--seed',
            String(seed),
            name,
          ],
          { cwd: REPO, encoding: 'utf8', timeout: (seconds + 120) * 1000 },
        );
        const line = r.stdout.split('\n').find((l) => l.startsWith('FUZZ '));
        expect(line, `fuzzer output: ${r.stdout}\n${r.stderr}`).toBeDefined();
        const report = JSON.parse(line!.slice(5)) as FuzzReport;
        console.log(
          `fuzz ${name}: ${report.execs} execs in ${report.seconds} s (${report.execsPerSec}/s), ` +
            `${report.features} coverage features, corpus ${report.corpus}, seed ${seed}`,
        );
        expect(report.replayFailures, 'a seed or regression input fails again').toEqual([]);
        expect(report.findings, `new findings (seed ${seed}); inputs saved under .tmp/fuzz/findings`).toEqual(
          [],
        );
        expect(report.execs).toBeGreaterThan(50);
      },
      (seconds + 150) * 1000,
    );
  }
});
