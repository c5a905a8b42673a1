// Fuzz one or more targets: `node --import tsx integration/fuzz/run.ts [--seconds N] [--seed S]
// [--save] [target ...]` (all targets when none is named). Prints one `FUZZ {json}` line per target
// (execs, execs/s, coverage features, corpus size, findings) and exits 1 when anything was found.
import { fuzz } from './engine.js';
import { TARGETS } from './targets/index.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seconds = Number(flag('--seconds') ?? process.env.TSCTR_FUZZ_SECONDS ?? 10);
const seed = Number(flag('--seed') ?? process.env.TSCTR_FUZZ_SEED ?? Date.now() % 2 ** 31);
const save = process.argv.includes('--save');
const names = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--se'));
const chosen = names.length ? names : Object.keys(TARGETS);

let bad = 0;
for (const name of chosen) {
  const make = TARGETS[name];
  if (!make) {
    process.stderr.write(`unknown target ${name}; targets: ${Object.keys(TARGETS).join(', ')}\n`);
    process.exit(2);
  }
  const report = await fuzz(await make(), { seconds, seed, save });
  bad += report.findings.length + report.replayFailures.length;
  process.stdout.write(`FUZZ ${JSON.stringify(report)}\n`);
}
process.exit(bad > 0 ? 1 : 0);
