// The API fuzzer's short run inside `npm test` (TSCTR_API_FUZZ_SECONDS, default 40); long runs:
// `TSCTR_API_FUZZ_SECONDS=900 npx vitest run integration/fuzz/api` or
// `node --import tsx integration/fuzz/api/run-api.ts --seconds 900 --seed N` (README, "Fuzzing").
import { describe, expect, it } from 'vitest';
import { runApiFuzz } from './run-api.js';

const seconds = Number(process.env.TSCTR_API_FUZZ_SECONDS ?? 40);
const seed = Number(process.env.TSCTR_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe('API fuzz', () => {
  it(
    'Docker API and tsctrd gRPC: no undocumented 5xx, no gRPC UNKNOWN/INTERNAL, daemons alive, RSS bounded',
    async () => {
      const r = await runApiFuzz(seconds, seed);
      console.log(
        `api fuzz (seed ${seed}): ${r.requests} HTTP requests ${JSON.stringify(r.byClass)}, ` +
          `${r.allowed5xx} documented 5xx, ${r.grpcCalls} gRPC calls ${JSON.stringify(r.grpcByCode)}, ` +
          `RSS ${JSON.stringify(r.rssKb)}, objects ${JSON.stringify(r.pools)}`,
      );
      if (r.closedSamples.length) console.log(`closed without an answer: ${r.closedSamples.join('\n')}`);
      expect(r.faults, `seed ${seed}`).toEqual([]);
      expect(r.requests).toBeGreaterThan(100);
      expect(r.grpcCalls).toBeGreaterThan(100);
      // The fuzzer reached past the refusals: it created objects and got 2xx answers.
      expect(r.byClass['2xx'] ?? 0).toBeGreaterThan(20);
    },
    (seconds + 240) * 1000,
  );
});
