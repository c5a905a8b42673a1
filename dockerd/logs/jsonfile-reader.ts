/**
 * Docker's `json-file` log driver, reading side (`docker logs`, with tail / since / until / follow).
 *
 * Reads `path.<maxFile-1>` … `path.1`, `path` (oldest first). Lines that are not valid entries (corrupt,
 * half-written by a crash, missing stream/time) are skipped. Filtering follows dockerd:
 * - `tail` is applied first (last N valid entries of all files), then since/until;
 * - `since`: entries before it are skipped until the first entry at or after it, then no more filtering
 *   (timestamps need not be monotonic);
 * - `until`: iteration ends at the first entry after it.
 * Following tracks the live file by inode: when it is rotated away, the rest of it is read, then any rotated
 * files newer than it (in case several rotations happened in between), then the new live file.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { nowNs, parseRFC3339 } from './format.js';

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

export interface ReadLogsOptions {
  /** The live log file; rotated ones are `path.1` … `path.<maxFile-1>`. */
  path: string;
  /** The logger's max-file (files kept, the live one included). */
  maxFile: number;
  /** Last N entries only; -1 / undefined = all, 0 = none (with follow: only new entries). */
  tail?: number;
  /** ns; 0 / undefined = no lower bound. */
  since?: bigint;
  /** ns; 0 / undefined = no upper bound. Iteration ends at the first entry after it (also when following). */
  until?: bigint;
  /** Keep reading entries appended to the log, across rotations, until `signal`, `stop` or `until`. */
  follow?: boolean;
  /** Ends the iteration as soon as possible (no error is thrown). */
  signal?: AbortSignal;
  /** When it resolves (e.g. the container exited and its logger closed): read what remains, then end. */
  stop?: Promise<void>;
  /** Polling interval while following (default 250 ms; fs.watch on the directory wakes earlier). */
  pollIntervalMs?: number;
}

const CHUNK = 64 * 1024;
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

interface FileId {
  dev: bigint;
  ino: bigint;
}

function sameFile(a: FileId | null, b: FileId | null): boolean {
  return a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** An open log file read forwards, keeping an incomplete last line until it is completed. */
class LogFile {
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
async function* linesBackward(fh: FileHandle, end: number): AsyncGenerator<Buffer> {
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
async function lastEntryTime(fh: FileHandle, end: number): Promise<bigint | null> {
  for await (const line of linesBackward(fh, end)) {
    const e = parseLogLine(line);
    if (e) return e.time;
  }
  return null;
}

/** Offset just after the last newline in [0, end) (0 if none): where the next complete line starts. */
async function lineBoundary(fh: FileHandle, end: number): Promise<number> {
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

/** Since/until as dockerd's forwarder applies them. */
class Filter {
  constructor(
    private since: bigint,
    private readonly until: bigint,
  ) {}

  /** 'emit', 'skip', or 'end' (past until: stop everything). */
  check(e: LogEntry): 'emit' | 'skip' | 'end' {
    if (this.since > 0n) {
      if (e.time < this.since) return 'skip';
      this.since = 0n;
    }
    if (this.until > 0n && e.time > this.until) return 'end';
    return 'emit';
  }
}

/** Wakes a waiting follower early (file events, stop, abort). */
class Waker {
  private wakeFn: (() => void) | null = null;
  private flagged = false;

  wake(): void {
    this.flagged = true;
    const fn = this.wakeFn;
    this.wakeFn = null;
    fn?.();
  }

  async wait(ms: number): Promise<void> {
    if (!this.flagged) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wakeFn = null;
          resolve();
        }, ms);
        this.wakeFn = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.flagged = false;
  }
}

/**
 * Opens the files written after the file `after` (identified by inode), oldest first. Scans `path`, `path.1`, …
 * newest first and stops at `after`; duplicates (a rotation during the scan) are dropped. With `after` null only
 * `path` is opened.
 */
async function openNewerFiles(
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

/**
 * Reads a json-file log: history (all, or the last `tail` entries) and, with `follow`, new entries as they are
 * written. Never throws for missing files (no log yet = no entries); I/O errors other than ENOENT are thrown.
 * Break out of the loop (or abort `signal`) to stop early; open files are closed either way.
 */
export async function* readLogs(opts: ReadLogsOptions): AsyncGenerator<LogEntry, void, undefined> {
  const { path, signal } = opts;
  const maxFile = Math.max(1, Math.floor(opts.maxFile || 1));
  const tail = opts.tail === undefined || opts.tail < 0 ? -1 : Math.floor(opts.tail);
  const until = opts.until ?? 0n;
  const filter = new Filter(opts.since ?? 0n, until);
  const since = opts.since ?? 0n;
  const open: LogFile[] = [];
  const track = <T extends LogFile | null>(f: T): T => {
    if (f) open.push(f);
    return f;
  };
  const release = async (f: LogFile): Promise<void> => {
    const i = open.indexOf(f);
    if (i !== -1) open.splice(i, 1);
    await f.close();
  };
  let watcher: FSWatcher | null = null;
  let onAbort: (() => void) | null = null;

  try {
    if (signal?.aborted) return;

    // Snapshot: the live file first (its size bounds the history), then the rotated ones.
    let cur = track(await LogFile.open(path));
    const endOfHistory = cur ? cur.size : 0;
    const rotatedNewestFirst: LogFile[] = [];
    for (let i = 1; i < maxFile; i++) {
      const f = await LogFile.open(`${path}.${i}`);
      if (!f) continue;
      if (sameFile(f.id, cur?.id ?? null) || rotatedNewestFirst.some((g) => sameFile(g.id, f.id))) {
        await f.close();
        continue;
      }
      rotatedNewestFirst.push(track(f));
    }
    // The newest file consumed so far, to find what came after it when following.
    let lastId: FileId | null = cur?.id ?? rotatedNewestFirst[0]?.id ?? null;

    if (tail > 0) {
      const picked: LogEntry[] = [];
      const sources: { fh: FileHandle; end: number }[] = [];
      if (cur) sources.push({ fh: cur.fh, end: endOfHistory });
      for (const f of rotatedNewestFirst) sources.push({ fh: f.fh, end: f.size });
      collect: for (const src of sources) {
        for await (const line of linesBackward(src.fh, src.end)) {
          const e = parseLogLine(line);
          if (!e) continue;
          picked.push(e);
          if (picked.length >= tail) break collect;
        }
        if (signal?.aborted) return;
      }
      picked.reverse();
      for (const e of picked) {
        const v = filter.check(e);
        if (v === 'end') return;
        if (v === 'emit') yield e;
        if (signal?.aborted) return;
      }
    } else if (tail < 0) {
      for (const f of [...rotatedNewestFirst].reverse()) {
        if (since > 0n) {
          const t = await lastEntryTime(f.fh, f.size);
          if (t === null || t < since) continue;
        }
        for await (const e of f.entries(f.size)) {
          const v = filter.check(e);
          if (v === 'end') return;
          if (v === 'emit') yield e;
          if (signal?.aborted) return;
        }
      }
      if (cur) {
        for await (const e of cur.entries(endOfHistory)) {
          const v = filter.check(e);
          if (v === 'end') return;
          if (v === 'emit') yield e;
          if (signal?.aborted) return;
        }
      }
    }
    for (const f of rotatedNewestFirst) await release(f);

    if (!opts.follow) return;

    // Following starts where the history ended, on a line boundary.
    if (cur && tail >= 0) cur.pos = await lineBoundary(cur.fh, endOfHistory);

    const waker = new Waker();
    let stopped = false;
    void opts.stop?.then(
      () => {
        stopped = true;
        waker.wake();
      },
      () => undefined,
    );
    if (signal) {
      onAbort = () => waker.wake();
      signal.addEventListener('abort', onAbort, { once: true });
    }
    let pollMs = opts.pollIntervalMs ?? 250;
    try {
      watcher = watch(nodePath.dirname(path), { persistent: true }, () => waker.wake());
      watcher.on('error', () => {
        watcher?.close();
        watcher = null;
      });
    } catch {
      pollMs = Math.min(pollMs, 100);
    }

    // Emits the entries of f from its position; false when iteration must end.
    const drain = async function* (f: LogFile): AsyncGenerator<LogEntry, boolean, undefined> {
      for await (const e of f.entries()) {
        const v = filter.check(e);
        if (v === 'end') return false;
        if (v === 'emit') yield e;
        if (signal?.aborted) return false;
      }
      return true;
    };

    for (;;) {
      if (signal?.aborted) return;
      // Decided before draining, so that a stop is followed by one complete pass over what was written.
      const stopping = stopped || (until > 0n && nowNs() > until);

      if (cur) {
        await cur.checkTruncated();
        if (!(yield* drain(cur))) return;
      }

      let liveId: FileId | null = null;
      try {
        const st = await stat(path, { bigint: true });
        liveId = { dev: st.dev, ino: st.ino };
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }

      if (liveId !== null && !sameFile(liveId, cur?.id ?? null)) {
        // Rotated (or created). The old file gets no more writes: finish it.
        if (cur) {
          if (!(yield* drain(cur))) return;
          await release(cur);
          lastId = cur.id;
          cur = null;
        }
        const { files, live } = await openNewerFiles(path, maxFile, lastId);
        for (const f of files) track(f);
        for (const f of files) {
          if (f === live) continue;
          if (!(yield* drain(f))) return;
          lastId = f.id;
          await release(f);
        }
        cur = live;
        if (cur) lastId = cur.id;
        continue;
      }

      if (stopping) return;
      await waker.wait(pollMs);
    }
  } finally {
    if (onAbort && signal) signal.removeEventListener('abort', onAbort);
    (watcher as FSWatcher | null)?.close();
    for (const f of open.splice(0)) await f.close();
  }
}
