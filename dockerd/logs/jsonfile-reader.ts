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
import { stat, type FileHandle } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { nowNs } from './format.js';
import {
  type FileId,
  type LogEntry,
  LogFile,
  isNotFound,
  lastEntryTime,
  lineBoundary,
  linesBackward,
  openNewerFiles,
  parseLogLine,
  sameFile,
} from './jsonfile-file.js';

export { type LogEntry, parseLogLine } from './jsonfile-file.js';

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
