// The fuzz targets' short run inside `npm test`: every target replays its committed seeds and
// regressions, then fuzzes for TSCTR_FUZZ_SECONDS (default 10) in its own process. Long runs:
// `TSCTR_FUZZ_SECONDS=600 npx vitest run integration/fuzz` or `node --import tsx
// integration/fuzz/run.ts --seconds 600 --save <target>` (see README, "Fuzzing").
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO, type FuzzReport } from './engine.js';
import { TARGETS } from './targets/index.js';

const seconds = Number(process.env.TSCTR_FUZZ_SECONDS ?? 10);
const seed = Number(process.env.TSCTR_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

function runFuzzer(args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr });
    });
  });
}

describe('fuzz', () => {
  for (const name of Object.keys(TARGETS)) {
    it(
      name,
      async () => {
        // Asynchronous on purpose: a worker blocked in spawnSync for a minute misses vitest's own
        // RPC deadline ("Timeout calling onTaskUpdate"), which fails the whole run.
        const r = await runFuzzer(
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
          (seconds + 120) * 1000,
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
