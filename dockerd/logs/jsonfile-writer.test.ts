import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRFC3339 } from './format.js';
import { encodeLogEntry, fromHumanSize, JsonFileLogger, parseLogOpts } from './jsonfile-writer.js';

const S = 1_000_000_000n;
const T0 = BigInt(Date.UTC(2026, 10, 23, 16, 39, 22) / 1000) * S + 56220185n;

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jsonlog-w-'));
  file = path.join(dir, 'c-json.log');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Raw {
  log?: string;
  stream: string;
  time: string;
}
const readRaw = (p: string): Raw[] =>
  fs
    .readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Raw);

describe('encodeLogEntry', () => {
  it('writes dockerd field order and time format', () => {
    expect(encodeLogEntry('stdout', Buffer.from('hello\n'), T0).toString()).toBe(
      '{"log":"hello\\n","stream":"stdout","time":"2026-11-23T16:39:22.056220185Z"}\n',
    );
    expect(encodeLogEntry('stderr', Buffer.from('x'), T0 - 56220185n + 500_000_000n).toString()).toBe(
      '{"log":"x","stream":"stderr","time":"2026-11-23T16:39:22.5Z"}\n',
    );
  });

  it('escapes like Go (html chars, control bytes, invalid UTF-8, U+2028)', () => {
    const log = Buffer.concat([
      Buffer.from('a<b>&"\\\t\r\n\x01é€😀\u2028\u2029'),
      Buffer.from([0xff, 0xe2, 0x82, 0x41, 0xed, 0xa0, 0x80, 0xc0, 0xaf]),
    ]);
    const line = encodeLogEntry('stdout', log, T0).toString('utf8');
    expect(line).toBe(
      '{"log":"a\\u003cb\\u003e\\u0026\\"\\\\\\u0009\\r\\n\\u0001é€😀\\u2028\\u2029' +
        '\\ufffd\\ufffd\\ufffdA\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd","stream":"stdout",' +
        '"time":"2026-11-23T16:39:22.056220185Z"}\n',
    );
    expect((JSON.parse(line) as Raw).log).toBe(
      'a<b>&"\\\t\r\n\x01é€😀\u2028\u2029\ufffd\ufffd\ufffdA' + '\ufffd'.repeat(5),
    );
  });

  it('handles a long line needing scratch growth', () => {
    const log = Buffer.alloc(200_000, '<');
    const line = encodeLogEntry('stdout', log, T0);
    expect((JSON.parse(line.toString()) as Raw).log).toBe('<'.repeat(200_000));
  });
});

describe('JsonFileLogger', () => {
  it('splits lines per stream and flushes an unterminated line on close', async () => {
    const lg = new JsonFileLogger({ path: file });
    lg.write('stdout', Buffer.from('hello\nwor'), T0);
    lg.write('stderr', Buffer.from('oo'), T0 + 1n);
    lg.write('stderr', Buffer.from('ps\n'), T0 + 2n);
    lg.write('stdout', Buffer.from('ld\nlast'), T0 + 3n);
    // complete lines are in the file right away
    expect(readRaw(file).map((r) => r.log)).toEqual(['hello\n', 'oops\n', 'world\n']);
    await lg.close();
    await lg.close();
    lg.write('stdout', Buffer.from('ignored\n'));
    const raw = readRaw(file);
    expect(raw.map((r) => [r.stream, r.log])).toEqual([
      ['stdout', 'hello\n'],
      ['stderr', 'oops\n'],
      ['stdout', 'world\n'],
      ['stdout', 'last'],
    ]);
    expect(raw.slice(0, 3).map((r) => parseRFC3339(r.time))).toEqual([T0, T0 + 2n, T0 + 3n]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
  });

  it('cuts lines longer than 16 KiB into partial entries sharing the first piece time', async () => {
    const lg = new JsonFileLogger({ path: file });
    const long = Buffer.concat([Buffer.alloc(40_000, 'x'), Buffer.from('\n')]);
    for (let i = 0; i < long.length; i += 1000)
      lg.write('stdout', long.subarray(i, i + 1000), T0 + BigInt(i));
    // exactly 16 KiB + newline: a full partial then an empty final piece, as dockerd's copier does
    lg.write('stderr', Buffer.concat([Buffer.alloc(16384, 'y'), Buffer.from('\nz\n')]), T0 + 5n);
    await lg.close();
    const raw = readRaw(file);
    expect(raw.map((r) => [r.stream, r.log?.length, r.log?.endsWith('\n')])).toEqual([
      ['stdout', 16384, false],
      ['stdout', 16384, false],
      ['stdout', 40_000 - 32768 + 1, true],
      ['stderr', 16384, false],
      ['stderr', 1, true],
      ['stderr', 2, true],
    ]);
    const t = raw.map((r) => parseRFC3339(r.time));
    expect(t[0]).toBe(T0 + 16000n); // the chunk that filled the first 16 KiB
    expect(t[1]).toBe(t[0]);
    expect(t[2]).toBe(t[0]);
    expect(t[3]).toBe(T0 + 5n);
    expect(raw.map((r) => r.log).join('')).toBe('x'.repeat(40_000) + '\n' + 'y'.repeat(16384) + '\nz\n');
  });

  it('rotates with max-size 1k / max-file 3, keeping at most 3 files', async () => {
    const lg = new JsonFileLogger({ path: file, maxSize: 1000, maxFile: 3 });
    for (let i = 0; i < 200; i++) {
      lg.write('stdout', Buffer.from(`line ${String(i).padStart(3, '0')}\n`), T0 + BigInt(i));
      const names = fs.readdirSync(dir).sort();
      expect(names.length).toBeLessThanOrEqual(3);
      for (const n of names) expect(fs.statSync(path.join(dir, n)).size).toBeLessThanOrEqual(1000);
    }
    await lg.close();
    expect(fs.readdirSync(dir).sort()).toEqual(['c-json.log', 'c-json.log.1', 'c-json.log.2']);
    const all = [file + '.2', file + '.1', file].flatMap(readRaw).map((r) => r.log);
    const first = Number(all[0]?.slice(5, 8));
    expect(first).toBeGreaterThan(150);
    expect(all).toEqual(
      Array.from({ length: 200 - first }, (_, k) => `line ${String(first + k).padStart(3, '0')}\n`),
    );
  });

  it('max-file 1 truncates by recreating the file', async () => {
    const lg = new JsonFileLogger({ path: file, maxSize: 500, maxFile: 1 });
    for (let i = 0; i < 50; i++) lg.write('stdout', Buffer.from(`line ${i}\n`), T0);
    await lg.close();
    expect(fs.readdirSync(dir)).toEqual(['c-json.log']);
    expect(readRaw(file).at(-1)?.log).toBe('line 49\n');
    expect(fs.statSync(file).size).toBeLessThanOrEqual(500);
  });

  it('appends to an existing file and terminates a half-written last line', async () => {
    fs.writeFileSync(file, '{"log":"a\\n","stream":"stdout","time":"2026-11-23T16:39:22Z"}\n{"log":"tru');
    const lg = new JsonFileLogger({ path: file, maxSize: 10_000 });
    expect(lg.currentSize).toBe(fs.statSync(file).size);
    lg.write('stdout', Buffer.from('b\n'), T0);
    await lg.close();
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines[1]).toBe('{"log":"tru');
    expect((JSON.parse(lines[2]) as Raw).log).toBe('b\n');
  });
});

describe('parseLogOpts', () => {
  it('parses max-size like dockerd (go-units FromHumanSize: SI units)', () => {
    expect(fromHumanSize('10m')).toBe(10_000_000);
    expect(fromHumanSize('10M')).toBe(10_000_000);
    expect(fromHumanSize('10mb')).toBe(10_000_000);
    expect(fromHumanSize('10MiB')).toBe(10_000_000);
    expect(fromHumanSize('1g')).toBe(1_000_000_000);
    expect(fromHumanSize('500k')).toBe(500_000);
    expect(fromHumanSize('500 kB')).toBe(500_000);
    expect(fromHumanSize('1.5m')).toBe(1_500_000);
    expect(fromHumanSize('1024')).toBe(1024);
    expect(fromHumanSize('1024b')).toBe(1024);
    expect(() => fromHumanSize('abc')).toThrow("invalid size: 'abc'");
    expect(() => fromHumanSize('10x')).toThrow("invalid suffix: 'x'");
    expect(() => fromHumanSize('10mbb')).toThrow("invalid suffix: 'mbb'");
    expect(() => fromHumanSize('10bk')).toThrow('invalid suffix');
    expect(() => fromHumanSize('-1')).toThrow("invalid size: '-1'");
    expect(() => fromHumanSize('1..2m')).toThrow('strconv.ParseFloat: parsing "1..2": invalid syntax');
  });

  it('parses and validates the option map', () => {
    expect(parseLogOpts({})).toEqual({ maxSize: 0, maxFile: 1, compress: false });
    expect(
      parseLogOpts({ 'max-size': '10m', 'max-file': '3', labels: 'a', env: 'B', tag: '{{.Name}}' }),
    ).toEqual({
      maxSize: 10_000_000,
      maxFile: 3,
      compress: false,
    });
    expect(parseLogOpts({ 'max-size': '1k', 'max-file': '2', compress: 'true' }).compress).toBe(true);
    expect(() => parseLogOpts({ 'max-size': '0' })).toThrow('max-size must be a positive number');
    expect(() => parseLogOpts({ 'max-file': '0' })).toThrow('max-file cannot be less than 1');
    expect(() => parseLogOpts({ 'max-file': 'x' })).toThrow('strconv.Atoi: parsing "x": invalid syntax');
    expect(() => parseLogOpts({ compress: 'true' })).toThrow(
      'compress cannot be true when max-file is less than 2 or max-size is not set',
    );
    expect(() => parseLogOpts({ compress: 'yes' })).toThrow('strconv.ParseBool');
    expect(() => parseLogOpts({ 'max-sise': '1m' })).toThrow(
      "unknown log opt 'max-sise' for json-file log driver",
    );
  });
});
