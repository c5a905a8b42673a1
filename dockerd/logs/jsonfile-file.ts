// Docker's `json-file` log files, read at the byte level: one entry per line, a file read forwards with
// its unterminated last line held back, lines read backwards (for tail), and the rotated files opened in
// order. The reader (jsonfile-reader.ts) builds `docker logs` on these.
import { open, type FileHandle } from 'node:fs/promises';
import { parseRFC3339 } from './format.js';

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** The `log` bytes: a whole line ends with `\n`; a partial one (16 KiB piece, or last unterminated line) doesn't. */
  line: Buffer;
  /** Nanoseconds since the epoch. */
  time: bigint;
  /** The `time` field as stored in the file. */
  timeText: string;
  /** The `attrs` object, when the file has one (files written by dockerd with labels/env/tag). */
  attrs?: Record<string, string>;
}

export const CHUNK = 64 * 1024;
/** A valid entry is at most ~100 KiB (16 KiB escaped ×6); longer garbage without newlines is dropped. */
const MAX_LINE = 1024 * 1024;

/** Parses one line of a json-file log (without its newline); null when it is not a usable entry. */
export function parseLogLine(line: Uint8Array): LogEntry | null {
  if (line.length < 2 || line[0] !== 0x7b) return null;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(line.buffer, line.byteOffset, line.length).toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const stream = o['stream'];
  if (stream !== 'stdout' && stream !== 'stderr') return null;
  const log = o['log'] ?? '';
  if (typeof log !== 'string') return null;
  const timeText = o['time'];
  if (typeof timeText !== 'string') return null;
  let time: bigint;
  try {
    time = parseRFC3339(timeText);
  } catch {
    return null;
  }
  const entry: LogEntry = { stream, line: Buffer.from(log, 'utf8'), time, timeText };
  const attrs = o['attrs'];
  if (typeof attrs === 'object' && attrs !== null && !Array.isArray(attrs)) {
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(attrs)) if (typeof val === 'string') out[k] = val;
    entry.attrs = out;
  }
  return entry;
}

export interface FileId {
  dev: bigint;
  ino: bigint;
}

export function sameFile(a: FileId | null, b: FileId | null): boolean {
  return a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** An open log file read forwards, keeping an incomplete last line until it is completed. */
export class LogFile {
  pos = 0;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private skipping = false;
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  constructor(
    readonly fh: FileHandle,
    readonly id: FileId,
    readonly size: number,
  ) {}

  static async open(file: string): Promise<LogFile | null> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    try {
      const st = await fh.stat({ bigint: true });
      return new LogFile(fh, { dev: st.dev, ino: st.ino }, Number(st.size));
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  /** Forgets an incomplete last line (the file is finished: it was a crash leftover). */
  discardPending(): void {
    this.pending = [];
    this.pendingLen = 0;
    this.skipping = false;
  }

  /** If the file was truncated under us (copytruncate), start over from its beginning. */
  async checkTruncated(): Promise<void> {
    const st = await this.fh.stat();
    if (st.size < this.pos) {
      this.pos = 0;
      this.discardPending();
    }
  }

  /** Entries from the current position up to `limit` (or the end of the file as it is now). */
  async *entries(limit = Infinity): AsyncGenerator<LogEntry> {
    for (;;) {
      const want = Math.min(CHUNK, limit - this.pos);
      if (want <= 0) return;
      const { bytesRead } = await this.fh.read(this.buf, 0, want, this.pos);
      if (bytesRead === 0) return;
      this.pos += bytesRead;
      const data = this.buf.subarray(0, bytesRead);
      let start = 0;
      let nl = data.indexOf(0x0a);
      while (nl !== -1) {
        let line: Buffer | null;
        if (this.skipping) {
          line = null;
          this.skipping = false;
        } else if (this.pendingLen > 0) {
          line = Buffer.concat([...this.pending, data.subarray(start, nl)]);
        } else {
          line = data.subarray(start, nl);
        }
        this.pending = [];
        this.pendingLen = 0;
        // Parse before the next read reuses the buffer; the entry owns its bytes.
        const entry = line === null ? null : parseLogLine(line);
        start = nl + 1;
        nl = data.indexOf(0x0a, start);
        if (entry) yield entry;
      }
      if (start < data.length && !this.skipping) {
        this.pending.push(Buffer.from(data.subarray(start)));
        this.pendingLen += data.length - start;
        if (this.pendingLen > MAX_LINE) {
          this.discardPending();
          this.skipping = true;
        }
      }
    }
  }
}

/** Complete lines of [0, end) from last to first (the unterminated fragment after the last newline is skipped). */
export async function* linesBackward(fh: FileHandle, end: number): AsyncGenerator<Buffer> {
  let pos = end;
  let carry: Buffer | null = null; // null while still inside the trailing fragment
  while (pos > 0) {
    const start = Math.max(0, pos - CHUNK);
    const chunk = Buffer.allocUnsafe(pos - start);
    let got = 0;
    while (got < chunk.length) {
      const { bytesRead } = await fh.read(chunk, got, chunk.length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const data = chunk.subarray(0, got);
    pos = start;
    let segEnd = data.length;
    let nl = segEnd > 0 ? data.lastIndexOf(0x0a, segEnd - 1) : -1;
    while (nl !== -1) {
      if (carry !== null) {
        const piece = data.subarray(nl + 1, segEnd);
        yield carry.length > 0 ? Buffer.concat([piece, carry]) : piece;
      }
      carry = Buffer.alloc(0);
      segEnd = nl;
      nl = segEnd > 0 ? data.lastIndexOf(0x0a, segEnd - 1) : -1;
    }
    if (carry !== null) {
      carry = Buffer.concat([data.subarray(0, segEnd), carry]);
      if (carry.length > MAX_LINE) carry = Buffer.alloc(0); // garbage; the line will not parse anyway
    }
  }
  if (carry !== null && carry.length > 0) yield carry;
}

/** Time of the last valid entry of [0, end), or null. */
export async function lastEntryTime(fh: FileHandle, end: number): Promise<bigint | null> {
  for await (const line of linesBackward(fh, end)) {
    const e = parseLogLine(line);
    if (e) return e.time;
  }
  return null;
}

/** Offset just after the last newline in [0, end) (0 if none): where the next complete line starts. */
export async function lineBoundary(fh: FileHandle, end: number): Promise<number> {
  let pos = end;
  const buf = Buffer.allocUnsafe(CHUNK);
  while (pos > 0) {
    const start = Math.max(0, pos - CHUNK);
    const { bytesRead } = await fh.read(buf, 0, pos - start, start);
    const nl = bytesRead > 0 ? buf.subarray(0, bytesRead).lastIndexOf(0x0a) : -1;
    if (nl !== -1) return start + nl + 1;
    pos = start;
  }
  return 0;
}

/**
 * Opens the files written after the file `after` (identified by inode), oldest first. Scans `path`, `path.1`, …
 * newest first and stops at `after`; duplicates (a rotation during the scan) are dropped. With `after` null only
 * `path` is opened.
 */
export async function openNewerFiles(
  path: string,
  maxFile: number,
  after: FileId | null,
): Promise<{ files: LogFile[]; live: LogFile | null }> {
  const found: LogFile[] = [];
  let live: LogFile | null = null;
  const last = after === null ? 0 : maxFile - 1;
  for (let i = 0; i <= last; i++) {
    const f = await LogFile.open(i === 0 ? path : `${path}.${i}`);
    if (!f) continue;
    if (sameFile(f.id, after)) {
      await f.close();
      break;
    }
    if (found.some((g) => sameFile(g.id, f.id))) {
      await f.close();
      continue;
    }
    if (i === 0) live = f;
    found.push(f);
  }
  return { files: found.reverse(), live };
}
