// The coverage-guided loop: replay the committed seeds and regressions, then mutate corpus entries
// for a bounded time, keeping every input that reaches new coverage (V8 block coverage, see
// coverage.ts). A finding is an error the target does not expect (or an execution that hangs); it is
// saved under .tmp/fuzz/findings/ and reported with its input, to become a regression file.
//
// Why not jazzer.js: @jazzer.js/core 4.0.0's only native piece, the prebuilt libFuzzer addon, needs
// glibc 2.38 and GLIBCXX_3.4.32 (Debian 12 has 2.36 and 3.4.30), and 2.1.0 and older download their
// addon from GitHub or build it from LLVM sources, which this machine cannot reach. No other
// coverage-guided fuzzer for JavaScript is maintained on npm, so this one reads V8's own coverage.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Coverage } from './coverage.js';
import { mutateBytes, mutateJson } from './mutate.js';
import { Rng } from '../rng.js';

export const FUZZ_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(FUZZ_DIR, '../..');

export interface FuzzTarget {
  name: string;
  /** Runs one input; a thrown error the target does not list as `expected` is a finding. */
  run(data: Buffer): Promise<void> | void;
  /** The target's normal refusals of bad input (typed errors). */
  expected(err: unknown): boolean;
  /** Words the mutator inserts (tokens of the format). */
  dict?: readonly string[];
  /** Structure-aware mutation for JSON inputs, with these keys and values. */
  json?: readonly string[];
  maxLen?: number;
  /** An execution taking longer is a finding (a hang). */
  timeoutMs?: number;
  setup?(): Promise<void> | void;
  teardown?(): Promise<void> | void;
}

export interface Finding {
  target: string;
  message: string;
  /** base64 of the input. */
  input: string;
  file: string;
}

export interface FuzzReport {
  target: string;
  seed: number;
  seconds: number;
  execs: number;
  execsPerSec: number;
  features: number;
  corpus: number;
  findings: Finding[];
  /** Seeds or regressions that fail (a regression came back). */
  replayFailures: Finding[];
}

export interface FuzzOptions {
  seconds: number;
  seed: number;
  /** Write inputs that add coverage to .tmp/fuzz/corpus/<target>/ (long runs). */
  save?: boolean;
  /** Stop after this many distinct findings. */
  maxFindings?: number;
}

export function corpusDir(target: string): string {
  return path.join(FUZZ_DIR, 'corpus', target);
}

export function regressionDir(target: string): string {
  return path.join(FUZZ_DIR, 'regressions', target);
}

function readDir(dir: string): Array<{ name: string; data: Buffer }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, data: readFileSync(path.join(dir, name)) }));
}

/** Runs one input: undefined when it passes, else the error's text. */
export async function runOne(t: FuzzTarget, data: Buffer): Promise<string | undefined> {
  const timeoutMs = t.timeoutMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`hang: one execution took more than ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    await Promise.race([Promise.resolve().then(() => t.run(data)), hang]);
    return undefined;
  } catch (err) {
    if (t.expected(err)) return undefined;
    const e = err as Error;
    const where = (e?.stack ?? '').split('\n').slice(1, 4).join(' | ').trim();
    return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}${where ? ` at ${where}` : ''}`;
  } finally {
    clearTimeout(timer);
  }
}

function saveFinding(t: FuzzTarget, data: Buffer, message: string): Finding {
  const dir = path.join(REPO, '.tmp', 'fuzz', 'findings');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${t.name}-${createHash('sha1').update(data).digest('hex').slice(0, 12)}`);
  writeFileSync(file, data);
  return { target: t.name, message, input: data.toString('base64'), file };
}

export async function fuzz(t: FuzzTarget, o: FuzzOptions): Promise<FuzzReport> {
  const rng = new Rng(o.seed);
  const maxLen = t.maxLen ?? 4096;
  await t.setup?.();
  const dict = (t.dict ?? []).map((w) => Buffer.from(w, 'latin1'));
  const cov = new Coverage(
    (url) =>
      url.startsWith(`file://${REPO}/`) &&
      !url.includes('/integration/') &&
      !url.includes('/node_modules/tsx/'),
  );
  const findings = new Map<string, Finding>();
  const replayFailures: Finding[] = [];
  const corpus: Buffer[] = [];
  cov.start();
  let execs = 0;
  const started = performance.now();
  try {
    for (const dir of [corpusDir(t.name), regressionDir(t.name)]) {
      for (const { name, data } of readDir(dir)) {
        const bad = await runOne(t, data);
        execs++;
        if (bad) replayFailures.push({ ...saveFinding(t, data, bad), file: path.join(dir, name) });
        cov.collect();
        corpus.push(data);
      }
    }
    if (corpus.length === 0) corpus.push(Buffer.alloc(0));
    const saveDir = path.join(REPO, '.tmp', 'fuzz', 'corpus', t.name);
    if (o.save) mkdirSync(saveDir, { recursive: true });
    const deadline = started + o.seconds * 1000;
    while (performance.now() < deadline && findings.size < (o.maxFindings ?? 10)) {
      // Newer entries (found later, deeper) a little more often.
      const base = rng.bool()
        ? corpus[corpus.length - 1 - rng.int(Math.min(corpus.length, 16))]
        : rng.pick(corpus);
      const mo = { maxLen, dict, other: rng.pick(corpus) };
      const input = t.json ? mutateJson(rng, base, mo, t.json) : mutateBytes(rng, base, mo);
      const bad = await runOne(t, input);
      execs++;
      if (bad) {
        // One finding per kind of error and place it is thrown from.
        const key = `${bad.split(':')[0]}@${bad.split(' at ')[1] ?? ''}`;
        if (!findings.has(key)) findings.set(key, saveFinding(t, input, bad));
      }
      if (cov.collect() > 0) {
        corpus.push(input);
        if (o.save) writeFileSync(path.join(saveDir, createHash('sha1').update(input).digest('hex')), input);
      }
    }
  } finally {
    cov.stop();
    await t.teardown?.();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    target: t.name,
    seed: o.seed,
    seconds: Math.round(seconds * 10) / 10,
    execs,
    execsPerSec: Math.round(execs / seconds),
    features: cov.size,
    corpus: corpus.length,
    findings: [...findings.values()],
    replayFailures,
  };
}
