import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nowNs } from './format.js';
import { readLogs, type LogEntry, type ReadLogsOptions } from './jsonfile-reader.js';
import { JsonFileLogger } from './jsonfile-writer.js';

const S = 1_000_000_000n;
const T0 = 1_700_000_000n * S;

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jsonlog-r-'));
  file = path.join(dir, 'c-json.log');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const text = (es: LogEntry[]): string[] => es.map((e) => e.line.toString());
const line = (i: number): string => `line ${String(i).padStart(4, '0')}\n`;
const lines = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, k) => line(from + k));

async function collect(opts: ReadLogsOptions): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(opts)) out.push(e);
  return out;
}

/** Writes lines [from, to) at times base + i seconds. */
function writeLines(lg: JsonFileLogger, from: number, to: number, base = T0): void {
  for (let i = from; i < to; i++) {
    lg.write(i % 3 === 0 ? 'stderr' : 'stdout', Buffer.from(line(i)), base + BigInt(i) * S);
  }
}

describe('readLogs', () => {
  it('round-trips stdout/stderr and a partial last line', async () => {
    const lg = new JsonFileLogger({ path: file });
    lg.write('stdout', Buffer.from('out 1\nout'), T0);
    lg.write('stderr', Buffer.from('err 1\n'), T0 + 1n);
    lg.write('stdout', Buffer.from(' 2\nno newline'), T0 + 2n);
    await lg.close();
    const es = await collect({ path: file, maxFile: 1 });
    expect(es.map((e) => [e.stream, e.line.toString(), e.time])).toEqual([
      ['stdout', 'out 1\n', T0],
      ['stderr', 'err 1\n', T0 + 1n],
      ['stdout', 'out 2\n', T0 + 2n],
      ['stdout', 'no newline', expect.any(BigInt)],
    ]);
    expect(es[0].timeText).toBe('2023-11-14T22:13:20Z');
  });

  it('yields nothing for a missing file', async () => {
    expect(await collect({ path: file, maxFile: 3 })).toEqual([]);
    expect(await collect({ path: file, maxFile: 3, tail: 10 })).toEqual([]);
  });

  it('reads rotated files oldest first and tails across them', async () => {
    const lg = new JsonFileLogger({ path: file, maxSize: 1024, maxFile: 3 });
    writeLines(lg, 0, 100);
    await lg.close();
    expect(fs.readdirSync(dir).length).toBe(3);
    const all = text(await collect({ path: file, maxFile: 3 }));
    const first = Number(all[0].slice(5, 9));
    expect(all).toEqual(lines(first, 100));
    const liveCount = fs.readFileSync(file, 'utf8').split('\n').length - 1;
    expect(liveCount).toBeLessThan(20);

    expect(text(await collect({ path: file, maxFile: 3, tail: 5 }))).toEqual(lines(95, 100));
    // more than the live file holds: spans into .1 and .2
    expect(text(await collect({ path: file, maxFile: 3, tail: 30 }))).toEqual(lines(70, 100));
    expect(text(await collect({ path: file, maxFile: 3, tail: 1000 }))).toEqual(all);
    expect(await collect({ path: file, maxFile: 3, tail: 0 })).toEqual([]);
    // a reader configured with fewer files sees only those
    expect(text(await collect({ path: file, maxFile: 1 })).length).toBe(liveCount);
  });

  it('filters by since / until (tail first, then the time window)', async () => {
    const lg = new JsonFileLogger({ path: file, maxSize: 1024, maxFile: 5 });
    writeLines(lg, 0, 60);
    await lg.close();
    const at = (i: number): bigint => T0 + BigInt(i) * S;
    expect(text(await collect({ path: file, maxFile: 5, since: at(10), until: at(20) }))).toEqual(
      lines(10, 21),
    );
    expect(text(await collect({ path: file, maxFile: 5, since: at(55) }))).toEqual(lines(55, 60));
    expect(text(await collect({ path: file, maxFile: 5, since: at(55) + 1n }))).toEqual(lines(56, 60));
    expect(text(await collect({ path: file, maxFile: 5, until: at(3) }))).toEqual(lines(0, 4));
    expect(text(await collect({ path: file, maxFile: 5, tail: 10, since: at(55) }))).toEqual(lines(55, 60));
    expect(text(await collect({ path: file, maxFile: 5, tail: 3, until: at(58) }))).toEqual(lines(57, 59));
  });

  it('skips corrupt lines and a half-written last line', async () => {
    const lg = new JsonFileLogger({ path: file });
    writeLines(lg, 0, 3);
    await lg.close();
    fs.appendFileSync(file, 'garbage\n{"log":"x","stream":"stdin","time":"2023-11-14T22:13:20Z"}\n\n');
    fs.appendFileSync(file, '{"log":"no time","stream":"stdout"}\n');
    const lg2 = new JsonFileLogger({ path: file });
    writeLines(lg2, 3, 5);
    await lg2.close();
    fs.appendFileSync(file, '{"log":"half\\n","stream":"stdo');
    expect(text(await collect({ path: file, maxFile: 1 }))).toEqual(lines(0, 5));
    expect(text(await collect({ path: file, maxFile: 1, tail: 2 }))).toEqual(lines(3, 5));
    expect(text(await collect({ path: file, maxFile: 1, tail: 4 }))).toEqual(lines(1, 5));
  });

  it('follows appended lines and rotations, then drains and ends on stop', async () => {
    const lg = new JsonFileLogger({ path: file, maxSize: 1024, maxFile: 4 });
    writeLines(lg, 0, 5);
    let stop!: () => void;
    const stopP = new Promise<void>((r) => (stop = r));
    const got: LogEntry[] = [];
    const reading = (async () => {
      for await (const e of readLogs({ path: file, maxFile: 4, follow: true, stop: stopP })) got.push(e);
    })();
    await sleep(50);
    expect(text(got)).toEqual(lines(0, 5));

    writeLines(lg, 5, 8);
    await sleep(400);
    expect(text(got)).toEqual(lines(0, 8));

    // several rotations at once, while the reader is idle: it must catch up through .2/.1
    writeLines(lg, 8, 40);
    await sleep(400);
    expect(text(got)).toEqual(lines(0, 40));

    // rotation with a line split across the write calls
    lg.write('stdout', Buffer.from('partial '), T0);
    writeLines(lg, 40, 60);
    lg.write('stdout', Buffer.from('end'), T0);
    await lg.close();
    stop();
    await reading;
    expect(text(got)).toEqual([...lines(0, 40), 'partial line 0040\n', ...lines(41, 60), 'end']);
  });

  it('follow survives losing the followed file to rotation (no duplicates, order kept)', async () => {
    const lg = new JsonFileLogger({ path: file, maxSize: 1024, maxFile: 2 });
    writeLines(lg, 0, 3);
    const ac = new AbortController();
    const got: LogEntry[] = [];
    const reading = (async () => {
      for await (const e of readLogs({ path: file, maxFile: 2, follow: true, signal: ac.signal }))
        got.push(e);
    })();
    await sleep(50);
    writeLines(lg, 3, 100); // ~8 rotations before the reader runs again
    await sleep(400);
    ac.abort();
    await reading;
    const seen = text(got).map((l) => Number(l.slice(5, 9)));
    expect(seen.slice(0, 3)).toEqual([0, 1, 2]);
    expect(seen.at(-1)).toBe(99);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    await lg.close();
  });

  it('follows with tail, starting after the history', async () => {
    const lg = new JsonFileLogger({ path: file, maxSize: 1024, maxFile: 2 });
    writeLines(lg, 0, 30);
    const ac = new AbortController();
    const got: LogEntry[] = [];
    const reading = (async () => {
      for await (const e of readLogs({ path: file, maxFile: 2, follow: true, tail: 2, signal: ac.signal })) {
        got.push(e);
      }
    })();
    await sleep(50);
    writeLines(lg, 30, 33);
    await sleep(400);
    ac.abort();
    await reading;
    expect(text(got)).toEqual(lines(28, 33));
    await lg.close();
  });

  it('follow with tail 0 only shows new lines; a line being written is completed first', async () => {
    const lg = new JsonFileLogger({ path: file });
    writeLines(lg, 0, 3);
    fs.appendFileSync(file, '{"log":"torn","str'); // as if a write were in progress
    let stop!: () => void;
    const stopP = new Promise<void>((r) => (stop = r));
    const reading = collect({ path: file, maxFile: 1, follow: true, tail: 0, stop: stopP });
    await sleep(50);
    fs.appendFileSync(file, 'eam":"stdout","time":"2023-11-14T22:13:20Z"}\n');
    writeLines(lg, 3, 4);
    await sleep(50);
    stop();
    expect(text(await reading)).toEqual(['torn', ...lines(3, 4)]);
    await lg.close();
  });

  it('follow ends at the first entry after until', async () => {
    const base = nowNs();
    const lg = new JsonFileLogger({ path: file });
    writeLines(lg, 0, 3, base);
    const reading = collect({
      path: file,
      maxFile: 1,
      follow: true,
      until: base + 4n * S,
      pollIntervalMs: 50,
    });
    await sleep(50);
    writeLines(lg, 3, 10, base);
    expect(text(await reading)).toEqual(lines(0, 5));
    await lg.close();
  });

  it('follow ends once the wall clock is past until, after draining', async () => {
    const lg = new JsonFileLogger({ path: file });
    writeLines(lg, 0, 3);
    const t = Date.now();
    const es = await collect({ path: file, maxFile: 1, follow: true, until: nowNs() + 300_000_000n });
    expect(Date.now() - t).toBeGreaterThanOrEqual(250);
    expect(text(es)).toEqual(lines(0, 3));
    await lg.close();
  });

  it('follow waits for the log file to appear and stops on abort', async () => {
    const ac = new AbortController();
    const reading = collect({ path: file, maxFile: 2, follow: true, signal: ac.signal, pollIntervalMs: 50 });
    await sleep(100);
    const lg = new JsonFileLogger({ path: file });
    writeLines(lg, 0, 2);
    await sleep(300);
    ac.abort();
    expect(text(await reading)).toEqual(lines(0, 2));
    await lg.close();
  });
});
