/**
 * Docker's `json-file` log driver, writing side.
 *
 * File format (one object per line, field order as dockerd writes it):
 *   {"log":"hello\n","stream":"stdout","time":"2026-11-23T16:39:22.056220185Z"}
 *
 * - `log` holds the raw bytes of one line including its `\n`; a piece of a line longer than 16 KiB, or the
 *   unterminated last line flushed on close, has no trailing `\n` (dockerd's "partial" messages).
 * - `time` is Go's RFC3339Nano in UTC (fraction's trailing zeros trimmed). Pieces of one long line share
 *   the time of the first piece, as in dockerd's copier.
 * - Strings are escaped like dockerd's `ffjsonWriteJSONBytesAsString`: `<`, `>`, `&` and control bytes become
 *   `\u00XX` (except `\n`, `\r`), invalid UTF-8 bytes become `\ufffd`, U+2028/U+2029 are escaped.
 *
 * Rotation: `path` → `path.1` → … → `path.<maxFile-1>`; the oldest is dropped. With maxFile = 1 the file is
 * unlinked and recreated.
 */
import * as fs from 'node:fs';
import { formatRFC3339Nano, nowNs } from './format.js';

export type LogStreamName = 'stdout' | 'stderr';

/** dockerd's copier buffer: a line is cut into pieces of at most this many bytes. */
export const MAX_LOG_LINE_BYTES = 16 * 1024;

export interface JsonFileLoggerOptions {
  /** The log file, e.g. `<root>/containers/<id>/<id>-json.log`. Its directory must exist. */
  path: string;
  /** Rotate before the file would grow past this many bytes. 0 / undefined = never rotate. */
  maxSize?: number;
  /** Number of files kept, the live one included (default 1). */
  maxFile?: number;
  /** Accepted for config compatibility; rotated files are never compressed. */
  compress?: boolean;
  /** File mode for created files (default 0o640, like dockerd). */
  mode?: number;
  /** Called on I/O errors (write, rotate); the entry is dropped. Default: process.emitWarning. */
  onError?: (err: Error) => void;
}

// ---------------------------------------------------------------------------------------------------------
// JSON encoding, byte-compatible with dockerd's jsonlog.JSONLogs.MarshalJSONBuf

const HEX = '0123456789abcdef';
let scratch = Buffer.allocUnsafe(64 * 1024);

/** Grows the shared scratch buffer to at least n bytes, keeping its content. */
function ensureScratch(n: number): void {
  if (scratch.length >= n) return;
  const next = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  scratch.copy(next);
  scratch = next;
}

function isCont(b: number | undefined): boolean {
  return b !== undefined && b >= 0x80 && b <= 0xbf;
}

/** Length of the valid UTF-8 sequence starting at s[i] (s[i] >= 0x80), or 0 when invalid (Go's DecodeRune rules). */
function utf8SeqLen(s: Uint8Array, i: number): number {
  const b0 = s[i];
  const b1 = s[i + 1];
  if (b0 >= 0xc2 && b0 <= 0xdf) return isCont(b1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (b1 === undefined) return 0;
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    if (b1 < lo || b1 > hi) return 0;
    return isCont(s[i + 2]) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (b1 === undefined) return 0;
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    if (b1 < lo || b1 > hi) return 0;
    return isCont(s[i + 2]) && isCont(s[i + 3]) ? 4 : 0;
  }
  return 0;
}

/** Writes `s` as a JSON string literal (with quotes) into scratch at `at`; returns the end offset. */
function writeJsonString(s: Uint8Array, at: number): number {
  ensureScratch(at + s.length * 6 + 2);
  const out = scratch;
  let o = at;
  out[o++] = 0x22;
  const putAscii = (str: string): void => {
    for (let k = 0; k < str.length; k++) out[o++] = str.charCodeAt(k);
  };
  let i = 0;
  while (i < s.length) {
    const b = s[i];
    if (b < 0x80) {
      if (b >= 0x20 && b !== 0x5c && b !== 0x22 && b !== 0x3c && b !== 0x3e && b !== 0x26) {
        out[o++] = b;
      } else if (b === 0x5c || b === 0x22) {
        out[o++] = 0x5c;
        out[o++] = b;
      } else if (b === 0x0a) {
        putAscii('\\n');
      } else if (b === 0x0d) {
        putAscii('\\r');
      } else {
        putAscii('\\u00');
        out[o++] = HEX.charCodeAt(b >> 4);
        out[o++] = HEX.charCodeAt(b & 0xf);
      }
      i++;
      continue;
    }
    const n = utf8SeqLen(s, i);
    if (n === 0) {
      putAscii('\\ufffd');
      i++;
      continue;
    }
    // U+2028 = E2 80 A8, U+2029 = E2 80 A9
    if (n === 3 && b === 0xe2 && s[i + 1] === 0x80 && (s[i + 2] === 0xa8 || s[i + 2] === 0xa9)) {
      putAscii(s[i + 2] === 0xa8 ? '\\u2028' : '\\u2029');
      i += 3;
      continue;
    }
    for (let k = 0; k < n; k++) out[o++] = s[i + k];
    i += n;
  }
  out[o++] = 0x22;
  return o;
}

/**
 * Encodes one json-file entry, newline-terminated, exactly as dockerd does
 * (`{"log":…,"stream":…,"time":…}\n`; `log` is omitted when empty).
 */
export function encodeLogEntry(stream: string, log: Uint8Array, timeNs: bigint): Buffer {
  let o = 0;
  ensureScratch(16);
  scratch[o++] = 0x7b; // {
  let first = true;
  const putAscii = (str: string): void => {
    ensureScratch(o + str.length);
    o += scratch.write(str, o, 'latin1');
  };
  if (log.length > 0) {
    first = false;
    putAscii('"log":');
    o = writeJsonString(log, o);
  }
  if (stream !== '') {
    if (!first) putAscii(',');
    first = false;
    putAscii('"stream":');
    o = writeJsonString(Buffer.from(stream, 'utf8'), o);
  }
  if (!first) putAscii(',');
  putAscii(`"time":"${formatRFC3339Nano(timeNs)}"}\n`);
  return Buffer.from(scratch.subarray(0, o));
}

// ---------------------------------------------------------------------------------------------------------
// Options

export interface ParsedLogOpts {
  /** Bytes; 0 = unlimited. */
  maxSize: number;
  /** ≥ 1. */
  maxFile: number;
  compress: boolean;
}

const DECIMAL_UNITS: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

/**
 * go-units `FromHumanSize` (what dockerd's json-file uses for `max-size`): SI multiples, so `10m` = 10,000,000
 * bytes and even `10mib` = 10,000,000; suffix case-insensitive, optional `b` / `ib`, fractions allowed.
 */
export function fromHumanSize(size: string): number {
  const sep = Math.max(...[...'0123456789. '].map((c) => size.lastIndexOf(c)));
  if (sep === -1) throw new Error(`invalid size: '${size}'`);
  let num: string;
  let sfx: string;
  if (size[sep] !== ' ') {
    num = size.slice(0, sep + 1);
    sfx = size.slice(sep + 1);
  } else {
    num = size.slice(0, sep);
    sfx = size.slice(sep + 1);
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) {
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  }
  let value = Number(num);
  if (value < 0) throw new Error(`invalid size: '${size}'`);
  if (sfx.length > 0) {
    const bad = (): Error => new Error(`invalid suffix: '${sfx}'`);
    if (sfx.length > 3) throw bad();
    sfx = sfx.toLowerCase();
    if (sfx[0] === 'b') {
      if (sfx.length > 1) throw bad();
    } else {
      const mul = DECIMAL_UNITS[sfx[0]];
      if (mul === undefined) throw bad();
      if (sfx.length === 2 && sfx[1] !== 'b') throw bad();
      if (sfx.length === 3 && sfx.slice(1) !== 'ib') throw bad();
      value *= mul;
    }
  }
  const n = Math.trunc(value);
  if (!Number.isSafeInteger(n)) throw new Error(`invalid size: '${size}'`);
  return n;
}

function parseGoBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}

// Options dockerd accepts for json-file but this implementation does not act on.
const IGNORED_OPTS = new Set([
  'labels',
  'labels-regex',
  'env',
  'env-regex',
  'tag',
  'mode',
  'max-buffer-size',
]);

/**
 * Validates and parses a json-file `--log-opt` map like dockerd (`max-size`, `max-file`, `compress`; `labels`,
 * `labels-regex`, `env`, `env-regex`, `tag`, `mode`, `max-buffer-size`, `cache-*` accepted and ignored).
 * Throws Error with dockerd's messages, e.g. `max-file cannot be less than 1`,
 * `unknown log opt 'foo' for json-file log driver`.
 */
export function parseLogOpts(config: Record<string, string>): ParsedLogOpts {
  for (const key of Object.keys(config)) {
    if (key === 'max-size' || key === 'max-file' || key === 'compress') continue;
    if (IGNORED_OPTS.has(key) || key.startsWith('cache-')) continue;
    throw new Error(`unknown log opt '${key}' for json-file log driver`);
  }
  let maxSize = 0;
  const sizeText = config['max-size'];
  if (sizeText !== undefined) {
    maxSize = fromHumanSize(sizeText);
    if (maxSize <= 0) throw new Error('max-size must be a positive number');
  }
  let maxFile = 1;
  const fileText = config['max-file'];
  if (fileText !== undefined) {
    if (!/^[+-]?\d+$/.test(fileText)) {
      throw new Error(`strconv.Atoi: parsing ${JSON.stringify(fileText)}: invalid syntax`);
    }
    maxFile = Number(fileText);
    if (!Number.isSafeInteger(maxFile)) {
      throw new Error(`strconv.Atoi: parsing ${JSON.stringify(fileText)}: value out of range`);
    }
    if (maxFile < 1) throw new Error('max-file cannot be less than 1');
  }
  let compress = false;
  const compressText = config['compress'];
  if (compressText !== undefined) {
    compress = parseGoBool(compressText);
    if (compress && (maxFile === 1 || maxSize === 0)) {
      throw new Error('compress cannot be true when max-file is less than 2 or max-size is not set');
    }
  }
  return { maxSize, maxFile, compress };
}

// ---------------------------------------------------------------------------------------------------------
// Logger

interface StreamState {
  /** Bytes of the current line not yet written (no newline, < 16 KiB). */
  tail: Buffer;
  /** Time of the first piece of a line already partly written, shared by its later pieces. */
  partialTime: bigint | null;
}

const O_APPEND_FLAGS = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT;

/**
 * Appends container output to a json-file log, line by line per stream, with size-based rotation.
 * All file I/O is synchronous: an entry is in the file when `write` returns (except an unterminated
 * line, which is held until its newline, until it reaches 16 KiB, or until `close`).
 */
export class JsonFileLogger {
  readonly path: string;
  readonly maxSize: number;
  readonly maxFile: number;
  private readonly mode: number;
  private readonly onError: (err: Error) => void;
  private fd = -1;
  private size = 0;
  private closed = false;
  private batch: Buffer[] = [];
  private batchLen = 0;
  private readonly streams: Record<LogStreamName, StreamState> = {
    stdout: { tail: Buffer.alloc(0), partialTime: null },
    stderr: { tail: Buffer.alloc(0), partialTime: null },
  };

  constructor(opts: JsonFileLoggerOptions) {
    this.path = opts.path;
    this.maxSize = opts.maxSize && opts.maxSize > 0 ? opts.maxSize : 0;
    this.maxFile = opts.maxFile && opts.maxFile >= 1 ? Math.floor(opts.maxFile) : 1;
    this.mode = opts.mode ?? 0o640;
    this.onError =
      opts.onError ??
      ((err) =>
        process.emitWarning(`json-file logger ${this.path}: ${err.message}`, 'JsonFileLoggerWarning'));
    // Errors opening the file at construction are thrown (like dockerd failing to create the logger).
    this.openExisting();
  }

  /** Current size in bytes of the live file (as written by this logger). */
  get currentSize(): number {
    return this.size + this.batchLen;
  }

  /**
   * Logs a chunk of a container stream. `time` (ns since the epoch, default now) is the time stamped on the
   * lines this chunk completes. Ignored after close.
   */
  write(stream: LogStreamName, chunk: Uint8Array, time: bigint = nowNs()): void {
    if (this.closed || chunk.length === 0) return;
    const st = this.streams[stream];
    const data =
      st.tail.length > 0
        ? Buffer.concat([st.tail, chunk])
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let p = 0;
    let nl = data.indexOf(0x0a, p);
    for (;;) {
      if (nl !== -1 && nl < p) nl = data.indexOf(0x0a, p);
      if (nl !== -1 && nl - p < MAX_LOG_LINE_BYTES) {
        const t = st.partialTime ?? time;
        st.partialTime = null;
        this.addEntry(stream, data.subarray(p, nl + 1), t);
        p = nl + 1;
      } else if (data.length - p >= MAX_LOG_LINE_BYTES) {
        if (st.partialTime === null) st.partialTime = time;
        this.addEntry(stream, data.subarray(p, p + MAX_LOG_LINE_BYTES), st.partialTime);
        p += MAX_LOG_LINE_BYTES;
      } else {
        break;
      }
    }
    st.tail = Buffer.from(data.subarray(p));
    this.flushBatch();
  }

  /** Writes out unterminated lines (as partial entries, no trailing newline) and closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    const time = nowNs();
    for (const stream of ['stdout', 'stderr'] as const) {
      const st = this.streams[stream];
      if (st.tail.length > 0) this.addEntry(stream, st.tail, st.partialTime ?? time);
      st.tail = Buffer.alloc(0);
      st.partialTime = null;
    }
    this.flushBatch();
    this.closed = true;
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch (err) {
        this.onError(err as Error);
      }
      this.fd = -1;
    }
  }

  private openExisting(): void {
    const fd = fs.openSync(
      this.path,
      fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT,
      this.mode,
    );
    try {
      const size = fs.fstatSync(fd).size;
      this.size = size;
      if (size > 0) {
        // A crash can leave a half-written last line: terminate it so our first entry starts on its own line
        // (readers skip the broken one).
        const last = Buffer.alloc(1);
        fs.readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) this.size += fs.writeSync(fd, '\n');
      }
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    this.fd = fd;
  }

  private addEntry(stream: LogStreamName, log: Uint8Array, time: bigint): void {
    const entry = encodeLogEntry(stream, log, time);
    if (this.maxSize > 0 && this.currentSize > 0 && this.currentSize + entry.length > this.maxSize) {
      this.flushBatch();
      this.rotate();
    }
    this.batch.push(entry);
    this.batchLen += entry.length;
  }

  private flushBatch(): void {
    if (this.batchLen === 0) return;
    const data = this.batch.length === 1 ? this.batch[0] : Buffer.concat(this.batch, this.batchLen);
    this.batch = [];
    this.batchLen = 0;
    if (this.fd < 0) {
      try {
        this.fd = fs.openSync(this.path, O_APPEND_FLAGS, this.mode);
        this.size = fs.fstatSync(this.fd).size;
      } catch (err) {
        this.onError(err as Error);
        return;
      }
    }
    try {
      let off = 0;
      while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
      this.size += data.length;
    } catch (err) {
      this.onError(err as Error);
    }
  }

  private rotate(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch (err) {
        this.onError(err as Error);
      }
      this.fd = -1;
    }
    const ignoreMissing = (fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    };
    try {
      if (this.maxFile < 2) {
        ignoreMissing(() => fs.unlinkSync(this.path));
      } else {
        ignoreMissing(() => fs.unlinkSync(`${this.path}.${this.maxFile - 1}`));
        for (let i = this.maxFile - 1; i > 1; i--) {
          ignoreMissing(() => fs.renameSync(`${this.path}.${i - 1}`, `${this.path}.${i}`));
        }
        ignoreMissing(() => fs.renameSync(this.path, `${this.path}.1`));
      }
    } catch (err) {
      this.onError(
        new Error(`error rotating log file, log data may have been lost: ${(err as Error).message}`),
      );
    }
    // Like dockerd: truncate anyway in case the rename did not work out.
    try {
      this.fd = fs.openSync(this.path, O_APPEND_FLAGS | fs.constants.O_TRUNC, this.mode);
    } catch (err) {
      this.onError(err as Error);
    }
    this.size = 0;
  }
}
