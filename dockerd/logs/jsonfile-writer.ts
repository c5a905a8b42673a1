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
import { nowNs } from './format.js';
import { encodeLogEntry } from './jsonfile-encode.js';

export { encodeLogEntry } from './jsonfile-encode.js';
export { type ParsedLogOpts, fromHumanSize, parseLogOpts } from './jsonfile-options.js';

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
