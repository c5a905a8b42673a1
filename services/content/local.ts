// The on-disk content store, shared by all namespaces:
//   blobs/sha256/<hex>         committed blobs, read-only
//   ingest/<sha256(ref)>/      one directory per unfinished write: ref, data, startedat, total
// Ingests survive restarts: reopening a ref re-hashes `data` and resumes at its end.
import { createHash, type Hash } from 'node:crypto';
import { constants, createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { failedPrecondition, notFound, unavailable } from '../../api/errdefs.js';
import { type Nanos, nowNanos } from '../metadata/time.js';
import { fsyncDir, isErrno, readOptional, writeFileAtomic } from './fsutil.js';

export const EMPTY_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface IngestStatus {
  /** The backend ref (namespaced by the caller). */
  ref: string;
  offset: number;
  total: number;
  startedAt: Nanos;
  updatedAt: Nanos;
}

export interface CommitResult {
  digest: string;
  size: number;
}

const msToNanos = (ms: number): Nanos => BigInt(Math.round(ms * 1000)) * 1000n;

export class LocalContentStore {
  readonly blobsDir: string;
  readonly ingestDir: string;
  private readonly locked = new Set<string>();

  constructor(readonly root: string) {
    this.blobsDir = path.join(root, 'blobs', 'sha256');
    this.ingestDir = path.join(root, 'ingest');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.blobsDir, { recursive: true });
    await fs.mkdir(this.ingestDir, { recursive: true });
  }

  blobPath(digest: string): string {
    return path.join(this.blobsDir, digest.slice('sha256:'.length));
  }

  /** Size of a committed blob, or undefined when it is not on disk. */
  async blobSize(digest: string): Promise<number | undefined> {
    try {
      return (await fs.stat(this.blobPath(digest))).size;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
  }

  async *blobs(): AsyncIterable<string> {
    for (const name of await fs.readdir(this.blobsDir)) {
      if (/^[a-f0-9]{64}$/.test(name)) yield `sha256:${name}`;
    }
  }

  async removeBlob(digest: string): Promise<void> {
    await fs.rm(this.blobPath(digest), { force: true });
  }

  ingestPath(ref: string): string {
    return path.join(this.ingestDir, createHash('sha256').update(ref).digest('hex'));
  }

  isLocked(ref: string): boolean {
    return this.locked.has(ref);
  }

  /** Opens (or resumes) the ingest for a ref. Only one writer per ref at a time: the next gets Unavailable. */
  async openWriter(ref: string, total: number): Promise<IngestWriter> {
    if (this.locked.has(ref)) throw unavailable(`ref ${ref} locked`);
    this.locked.add(ref);
    try {
      const dir = this.ingestPath(ref);
      const existing = await readOptional(path.join(dir, 'ref'));
      if (existing !== undefined && existing !== ref)
        throw failedPrecondition(`ref key does not match: ${existing} != ${ref}`);
      if (existing === undefined) {
        await fs.rm(dir, { recursive: true, force: true });
        await fs.mkdir(dir, { recursive: true });
        await writeFileAtomic(path.join(dir, 'startedat'), nowNanos().toString());
        await writeFileAtomic(path.join(dir, 'ref'), ref);
      }
      if (total > 0) await writeFileAtomic(path.join(dir, 'total'), String(total));
      const fh = await fs.open(path.join(dir, 'data'), constants.O_RDWR | constants.O_CREAT, 0o644);
      const hash = createHash('sha256');
      const size = (await fh.stat()).size;
      if (size > 0) await hashFile(path.join(dir, 'data'), size, hash);
      return new IngestWriter(this, ref, dir, fh, hash, size);
    } catch (e) {
      this.locked.delete(ref);
      throw e;
    }
  }

  release(ref: string): void {
    this.locked.delete(ref);
  }

  async status(ref: string): Promise<IngestStatus> {
    const dir = this.ingestPath(ref);
    const [startedAt, total, st] = await Promise.all([
      readOptional(path.join(dir, 'startedat')),
      readOptional(path.join(dir, 'total')),
      fs.stat(path.join(dir, 'data')).catch((e: unknown) => {
        if (isErrno(e, 'ENOENT')) return undefined;
        throw e;
      }),
    ]);
    if (startedAt === undefined) throw notFound(`ingest ${ref}`);
    const started = BigInt(startedAt);
    return {
      ref,
      offset: st?.size ?? 0,
      total: total ? Number(total) : 0,
      startedAt: started,
      updatedAt: st ? msToNanos(st.mtimeMs) : started,
    };
  }

  async abort(ref: string): Promise<void> {
    await fs.rm(this.ingestPath(ref), { recursive: true, force: true });
  }

  /** Ingest directories on disk, by their hashed names (for the GC's orphan sweep). */
  async ingestDirs(): Promise<string[]> {
    return fs.readdir(this.ingestDir);
  }

  async refOfDir(name: string): Promise<string | undefined> {
    return readOptional(path.join(this.ingestDir, name, 'ref'));
  }

  async removeIngestDir(name: string): Promise<void> {
    // A write still landing in the dir makes rmdir fail with ENOTEMPTY: retried (found by the API fuzzer).
    await fs.rm(path.join(this.ingestDir, name), {
      recursive: true,
      force: true,
      maxRetries: 5,
      retryDelay: 20,
    });
  }
}

async function hashFile(file: string, size: number, hash: Hash): Promise<void> {
  const stream = createReadStream(file, { start: 0, end: size - 1, highWaterMark: 1 << 20 });
  for await (const chunk of stream) hash.update(chunk as Buffer);
}

/** One open ingest. Writes append at the current offset; commit verifies and moves the data into place. */
export class IngestWriter {
  private closed = false;

  constructor(
    private readonly store: LocalContentStore,
    readonly ref: string,
    readonly dir: string,
    private readonly fh: fs.FileHandle,
    private hash: Hash,
    public offset: number,
  ) {}

  /** The digest of what has been written so far. */
  digest(): string {
    return `sha256:${this.hash.copy().digest('hex')}`;
  }

  async truncate(): Promise<void> {
    await this.fh.truncate(0);
    this.hash = createHash('sha256');
    this.offset = 0;
  }

  async write(data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, this.offset + done);
      if (bytesWritten === 0) throw new Error('short write');
      done += bytesWritten;
    }
    this.hash.update(data);
    this.offset += data.length;
  }

  /** Flushes the data to disk and checks it. Must be followed by `publish` (or `close`). */
  async verify(total: number, expected: string): Promise<CommitResult> {
    await this.fh.sync();
    if (total > 0 && total !== this.offset) {
      throw failedPrecondition(`unexpected commit size ${this.offset}, expected ${total}`);
    }
    const digest = this.digest();
    if (expected && expected !== digest)
      throw failedPrecondition(`unexpected commit digest ${digest}, expected ${expected}`);
    return { digest, size: this.offset };
  }

  /**
   * Moves the verified data to blobs/ (atomic rename), or drops it when an identical blob is already there.
   * Returns whether the blob was newly placed.
   */
  async publish(digest: string): Promise<boolean> {
    const target = this.store.blobPath(digest);
    let placed = false;
    if ((await this.store.blobSize(digest)) === undefined) {
      await fs.chmod(path.join(this.dir, 'data'), 0o444);
      await fs.rename(path.join(this.dir, 'data'), target);
      await fsyncDir(path.dirname(target));
      placed = true;
    }
    await this.close();
    await fs.rm(this.dir, { recursive: true, force: true });
    return placed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
    this.store.release(this.ref);
  }
}
