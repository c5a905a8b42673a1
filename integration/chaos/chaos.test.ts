// The chaos run (integration/chaos/run.ts): a short one inside `npm test` (TSCTR_CHAOS_SECONDS,
// default 100), a long one on demand, e.g. `TSCTR_CHAOS_SECONDS=1800 npx vitest run
// integration/chaos` (500+ kills). Replay a run with TSCTR_CHAOS_SEED.
import { describe, expect, it } from 'vitest';
import { runChaos } from './run.js';

const seconds = Number(process.env.TSCTR_CHAOS_SECONDS ?? 100);
const seed = Number(process.env.TSCTR_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe('chaos', () => {
  it(
    `kill -9 of random tsctr processes under a workload for ${seconds} s breaks no invariant`,
    async () => {
      const report = await runChaos({ seed, seconds });
      const s = report.stats;
      console.log(
        `chaos seed ${seed}: ${s.kills} kills survived (${JSON.stringify(s.killsByTarget)}), ` +
          `${s.recoveries} recoveries checked, ${s.ops} operations (${s.opsInterrupted} interrupted by a kill, ` +
          `${s.opsFailed} failed), slowest API after a restart ${s.maxApiMs} ms (${s.apiOverBound} over 2 s), ` +
          `slowest tsctr-dockerd → tsctrd reconnection ${s.maxReconnectMs} ms, ` +
          `${report.violations.length} invariant violations`,
      );
      for (const v of report.violations)
        console.log(`  violation at ${v.at} ms (recovery ${v.recovery}): ${v.invariant}: ${v.detail}`);
      if (report.violations.length > 0) console.log(report.log.join('\n'));
      expect(s.kills).toBeGreaterThan(0);
      expect(report.violations, `seed ${seed}`).toEqual([]);
    },
    (seconds + 240) * 1000,
  );
});
