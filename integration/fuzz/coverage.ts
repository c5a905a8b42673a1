// Coverage feedback for the fuzzer: V8's precise block coverage, read through an in-process
// inspector session after every execution (taking it also resets the counters). A "feature" is one
// block of one function of the code under test with its hit count bucketed the way AFL and libFuzzer
// do (1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+): an input that reaches a new block, or runs a known
// one a different number of times, adds coverage.
import { Session } from 'node:inspector';

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface FunctionCoverage {
  functionName: string;
  ranges: Range[];
}
interface ScriptCoverage {
  scriptId: string;
  url: string;
  functions: FunctionCoverage[];
}

function bucket(count: number): number {
  if (count <= 3) return count;
  if (count < 8) return 4;
  if (count < 16) return 5;
  if (count < 32) return 6;
  if (count < 128) return 7;
  return 8;
}

export class Coverage {
  private readonly session = new Session();
  /** Every feature seen so far. */
  private readonly seen = new Set<string>();
  /** Script ids worth counting (by URL: the project's files and its npm dependencies). */
  private readonly wanted = new Map<string, boolean>();

  constructor(private readonly include: (url: string) => boolean) {}

  start(): void {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  stop(): void {
    this.post('Profiler.stopPreciseCoverage');
    this.session.disconnect();
  }

  /** Features seen so far. */
  get size(): number {
    return this.seen.size;
  }

  /** Takes the counters of the last execution(s); returns how many features were new. */
  collect(): number {
    const result = this.post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    let fresh = 0;
    for (const script of result.result) {
      let want = this.wanted.get(script.scriptId);
      if (want === undefined) {
        want = this.include(script.url);
        this.wanted.set(script.scriptId, want);
      }
      if (!want) continue;
      for (const fn of script.functions) {
        for (const r of fn.ranges) {
          if (r.count === 0) continue;
          const key = `${script.scriptId}:${r.startOffset}:${r.endOffset}:${bucket(r.count)}`;
          if (!this.seen.has(key)) {
            this.seen.add(key);
            fresh++;
          }
        }
      }
    }
    return fresh;
  }

  /** Inspector calls in the same thread answer synchronously. */
  private post(method: string, params?: object): unknown {
    let out: unknown;
    let failure: Error | null = null;
    this.session.post(method, params ?? {}, (err, res) => {
      failure = err;
      out = res;
    });
    if (failure) throw failure;
    return out;
  }
}
