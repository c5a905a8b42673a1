// The json-file log reader (dockerd/logs): any bytes in the live and the rotated file read without
// throwing, and reading backward (`--tail N`) gives the last N entries of what reading forward gives.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readLogs, type LogEntry } from '../../../dockerd/logs/jsonfile-reader.js';
import type { FuzzTarget } from '../engine.js';
import { typedRefusal, Violation } from './expect.js';

/** A byte of the input that separates the rotated file (before) from the live one (after). */
const ROTATE = 0x1e;

function show(e: LogEntry): string {
  return `${e.stream} ${e.timeText} ${e.line.toString('hex')} ${JSON.stringify(e.attrs ?? {})}`;
}

async function all(opts: Parameters<typeof readLogs>[0]): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readLogs(opts)) {
    if (!(e.stream === 'stdout' || e.stream === 'stderr') || typeof e.time !== 'bigint')
      throw new Violation(`malformed entry ${show(e)}`);
    out.push(show(e));
  }
  return out;
}

export function jsonfileLogTarget(): FuzzTarget {
  let dir = '';
  return {
    name: 'jsonfile-log',
    maxLen: 4096,
    dict: [
      '{"log":"x\\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}\n',
      '{"log":"","stream":"stderr","time":"2024-01-02T03:04:05Z","attrs":{"a":"b"}}\n',
      '"time":"',
      '"stream":"stderr"',
      '\\u0000',
      '\\ud800',
      '+01:00',
      '\x1e',
      '\n',
      '\r\n',
    ],
    expected: typedRefusal,
    setup() {
      dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-fuzz-log-'));
    },
    teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    async run(data) {
      const file = path.join(dir, 'c-json.log');
      const cut = data.indexOf(ROTATE);
      rmSync(`${file}.1`, { force: true });
      if (cut >= 0) writeFileSync(`${file}.1`, data.subarray(0, cut));
      writeFileSync(file, cut >= 0 ? data.subarray(cut + 1) : data);
      const forward = await all({ path: file, maxFile: 2 });
      const n = 1 + (data.length % 7);
      const tail = await all({ path: file, maxFile: 2, tail: n });
      const want = forward.slice(-n);
      if (tail.join('\n') !== want.join('\n'))
        throw new Violation(`--tail ${n} gives ${tail.length} entries [${tail}] instead of [${want}]`);
    },
  };
}
