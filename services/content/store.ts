// The namespaced content store: blob records, labels and ingests per namespace in the metadata DB,
// bytes in the shared LocalContentStore. A blob is visible in a namespace only once committed there.
import { promises as fs } from 'node:fs';
import { alreadyExists, isAlreadyExists, notFound, outOfRange } from '../../api/errdefs.js';
import type { EventPublisher } from '../events/exchange.js';
import { type Filter, adapt, parseFilters, present } from '../filters/index.js';
import { attachToLease } from '../leases/store.js';
import type { MetadataDB } from '../metadata/db.js';
import { keys, splitId } from '../metadata/keys.js';
import { type Labels, cleanLabels, updateLabels } from '../metadata/labels.js';
import { type Nanos, fromRecord, nowNanos, toRecord } from '../metadata/time.js';
import * as validate from '../validate/validate.js';
import { type IngestWriter, type LocalContentStore } from './local.js';

export interface ContentInfo {
  digest: string;
  size: number;
  createdAt: Nanos;
  updatedAt: Nanos;
  labels: Labels;
}

export interface ContentStatus {
  ref: string;
  offset: number;
  total: number;
  expected: string;
  startedAt: Nanos;
  updatedAt: Nanos;
}

export interface BlobRecord {
  size: number;
  createdAt: string;
  updatedAt: string;
  labels: Labels;
}

export interface IngestRecord {
  /** The ref as the local store knows it: `<namespace>/<ref>`. */
  backendRef: string;
  expected: string;
  /** Nanoseconds; an ingest outside any lease is collected after this. "" when leased. */
  expireAt: string;
}

const INGEST_TTL = 24n * 3600n * 1_000_000_000n;

export interface WriterOptions {
  total: number;
  expected: string;
  lease?: string;
}

export class ContentStore {
  constructor(
    readonly db: MetadataDB,
    readonly local: LocalContentStore,
    private readonly events: EventPublisher,
  ) {}

  async info(ns: string, digest: string): Promise<ContentInfo> {
    validate.identifier('namespace', ns);
    validate.digest(digest);
    const rec = await this.db.get<BlobRecord>(keys.object(ns, 'content', digest));
    if (!rec) throw notFound(`content digest ${digest}`);
    return toInfo(digest, rec);
  }

  async update(ns: string, digest: string, labels: Labels, paths: string[]): Promise<ContentInfo> {
    validate.identifier('namespace', ns);
    validate.digest(digest);
    return this.db.update(async (tx) => {
      const key = keys.object(ns, 'content', digest);
      const rec = await tx.get<BlobRecord>(key);
      if (!rec) throw notFound(`content digest ${digest}`);
      const next: BlobRecord = {
        ...rec,
        labels: updateLabels(rec.labels ?? {}, labels, paths),
        updatedAt: toRecord(nowNanos()),
      };
      tx.put(key, next);
      return toInfo(digest, next);
    });
  }

  async *list(ns: string, filters: string[]): AsyncIterable<ContentInfo> {
    validate.identifier('namespace', ns);
    const filter = parseFilters(filters);
    const prefix = keys.objects(ns, 'content');
    for await (const [k, rec] of this.db.scan<BlobRecord>(prefix)) {
      const info = toInfo(splitId(k, prefix)[0], rec);
      if (matchInfo(filter, info)) yield info;
    }
  }

  async delete(ns: string, digest: string): Promise<void> {
    validate.identifier('namespace', ns);
    validate.digest(digest);
    await this.db.update(async (tx) => {
      const key = keys.object(ns, 'content', digest);
      if (!(await tx.get(key))) throw notFound(`content digest ${digest}`);
      tx.del(key);
      tx.markDeleted();
      tx.afterCommit(() => this.events.publish(ns, '/content/delete', 'ContentDelete', { digest }));
    });
  }

  /** The blob's path and size, after checking the namespace may see it. */
  async open(ns: string, digest: string): Promise<{ path: string; size: number }> {
    const info = await this.info(ns, digest);
    return { path: this.local.blobPath(digest), size: info.size };
  }

  async *readRange(
    ns: string,
    digest: string,
    offset: number,
    size: number,
    chunk = 1 << 20,
  ): AsyncIterable<[number, Buffer]> {
    const blob = await this.open(ns, digest);
    if (offset < 0 || offset > blob.size)
      throw outOfRange(`offset ${offset} beyond end of blob ${digest} (${blob.size} bytes)`);
    const end = size <= 0 || offset + size > blob.size ? blob.size : offset + size;
    const fh = await fs.open(blob.path, 'r');
    try {
      let pos = offset;
      while (pos < end) {
        const n = Math.min(chunk, end - pos);
        const buf = Buffer.allocUnsafe(n);
        const { bytesRead } = await fh.read(buf, 0, n, pos);
        if (bytesRead === 0) break;
        yield [pos, bytesRead === n ? buf : buf.subarray(0, bytesRead)];
        pos += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }

  async status(ns: string, ref: string): Promise<ContentStatus> {
    validate.identifier('namespace', ns);
    validate.ref(ref);
    const rec = await this.db.get<IngestRecord>(keys.object(ns, 'ingest', ref));
    if (!rec) throw notFound(`ref ${ref}`);
    return this.statusOf(ref, rec);
  }

  async listStatuses(ns: string, filters: string[]): Promise<ContentStatus[]> {
    validate.identifier('namespace', ns);
    const filter = parseFilters(filters);
    const prefix = keys.objects(ns, 'ingest');
    const out: ContentStatus[] = [];
    for await (const [k, rec] of this.db.scan<IngestRecord>(prefix)) {
      const ref = splitId(k, prefix)[0];
      if (!filter.match(adapt({ ref: present(ref) }))) continue;
      try {
        out.push(await this.statusOf(ref, rec));
      } catch {
        // The ingest directory is gone (aborted or committed meanwhile): not active.
      }
    }
    return out;
  }

  private async statusOf(ref: string, rec: IngestRecord): Promise<ContentStatus> {
    const st = await this.local.status(rec.backendRef);
    return {
      ref,
      offset: st.offset,
      total: st.total,
      expected: rec.expected,
      startedAt: st.startedAt,
      updatedAt: st.updatedAt,
    };
  }

  async abort(ns: string, ref: string): Promise<void> {
    validate.identifier('namespace', ns);
    validate.ref(ref);
    await this.db.update(async (tx) => {
      const key = keys.object(ns, 'ingest', ref);
      const rec = await tx.get<IngestRecord>(key);
      if (!rec) throw notFound(`ingest ref ${JSON.stringify(ref)}`);
      tx.del(key);
      tx.afterCommit(() => this.local.abort(rec.backendRef));
    });
  }

  /** Has the namespace committed this blob? */
  async exists(ns: string, digest: string): Promise<boolean> {
    return (await this.db.get(keys.object(ns, 'content', digest))) !== undefined;
  }

  async writer(ns: string, ref: string, opts: WriterOptions): Promise<ContentWriter> {
    validate.identifier('namespace', ns);
    validate.ref(ref);
    if (opts.expected) {
      validate.digest(opts.expected);
      if (await this.exists(ns, opts.expected)) throw alreadyExists(`content ${opts.expected}`);
    }
    const backendRef = `${ns}/${ref}`;
    const record = await this.db.update(async (tx) => {
      const key = keys.object(ns, 'ingest', ref);
      const prev = await tx.get<IngestRecord>(key);
      const rec: IngestRecord = {
        backendRef,
        expected: opts.expected || prev?.expected || '',
        expireAt: opts.lease ? '' : toRecord(nowNanos() + INGEST_TTL),
      };
      await tx.ensureNamespace(ns);
      await attachToLease(tx, ns, opts.lease, { type: 'ingests', id: ref });
      tx.put(key, rec);
      return rec;
    });
    const w = await this.local.openWriter(backendRef, opts.total);
    const status = await this.local.status(backendRef);
    // A blob another namespace already committed need not travel again: report it as fully written.
    let shared: { digest: string; size: number } | undefined;
    if (record.expected && w.offset === 0) {
      const size = await this.local.blobSize(record.expected);
      if (size !== undefined && (opts.total <= 0 || opts.total === size))
        shared = { digest: record.expected, size };
    }
    return new ContentWriter(this, ns, ref, w, record, status.startedAt, opts.total, opts.lease, shared);
  }
}

function toInfo(digest: string, rec: BlobRecord): ContentInfo {
  return {
    digest,
    size: rec.size,
    createdAt: fromRecord(rec.createdAt),
    updatedAt: fromRecord(rec.updatedAt),
    labels: rec.labels ?? {},
  };
}

function matchInfo(filter: Filter, info: ContentInfo): boolean {
  return filter.match(adapt({ digest: info.digest, size: String(info.size) }, { labels: info.labels }));
}

/** A namespaced write in progress: enforces the offset rules, then commits into the namespace. */
export class ContentWriter {
  updatedAt: Nanos;

  constructor(
    private readonly store: ContentStore,
    readonly ns: string,
    readonly ref: string,
    private readonly w: IngestWriter,
    private readonly record: IngestRecord,
    readonly startedAt: Nanos,
    public total: number,
    private readonly lease: string | undefined,
    private shared: { digest: string; size: number } | undefined,
  ) {
    this.updatedAt = startedAt;
  }

  get expected(): string {
    return this.record.expected;
  }

  offset(): number {
    return this.shared ? this.shared.size : this.w.offset;
  }

  digest(): string {
    return this.shared ? this.shared.digest : this.w.digest();
  }

  /**
   * Appends data written at `offset`: offset 0 restarts the ingest, any other offset must be the
   * current end (else OutOfRange).
   */
  async write(offset: number, data: Uint8Array | undefined): Promise<void> {
    const hasData = data !== undefined && data.length > 0;
    if (this.shared) {
      if (offset === this.shared.size && !hasData) return;
      this.shared = undefined; // the client sends the bytes after all
    }
    if (offset > 0 && offset !== this.w.offset) {
      throw outOfRange(`cannot write at offset ${offset}, current offset is ${this.w.offset}`);
    }
    if (offset === 0 && this.w.offset > 0) await this.w.truncate();
    if (hasData) {
      await this.w.write(data);
      this.updatedAt = nowNanos();
    }
  }

  /** Verifies size and digest, places the blob and records it in the namespace, with labels. */
  async commit(total: number, expected: string, labels: Labels): Promise<string> {
    if (expected) validate.digest(expected);
    const clean = cleanLabels(labels);
    const { digest, size } = this.shared
      ? { digest: this.shared.digest, size: this.shared.size }
      : await this.w.verify(total, expected || this.record.expected);
    if (this.shared && total > 0 && total !== size)
      throw outOfRange(`unexpected commit size ${size}, expected ${total}`);
    const db = this.store.db;
    await db
      .update(async (tx) => {
        const key = keys.object(this.ns, 'content', digest);
        tx.del(keys.object(this.ns, 'ingest', this.ref));
        if (await tx.get(key)) throw alreadyExists(`content ${digest}`);
        // Rename into blobs/ while holding the GC lock shared, so the orphan sweep cannot see it half-done.
        if (this.shared) await this.discard();
        else await this.w.publish(digest);
        const now = toRecord(nowNanos());
        tx.put(key, { size, createdAt: now, updatedAt: now, labels: clean } satisfies BlobRecord);
        await tx.ensureNamespace(this.ns);
        await attachToLease(tx, this.ns, this.lease, { type: 'content', id: digest });
      })
      .catch(async (e: unknown) => {
        if (isAlreadyExists(e)) {
          // The record was dropped with the failed transaction; drop the ingest too. As in
          // containerd, the blob that exists joins the writer's lease all the same: the caller
          // goes on using it, and the GC must not take it meanwhile.
          await db.update(async (tx) => {
            tx.del(keys.object(this.ns, 'ingest', this.ref));
            await attachToLease(tx, this.ns, this.lease, { type: 'content', id: digest });
          });
          await this.discard();
        }
        throw e;
      });
    return digest;
  }

  private async discard(): Promise<void> {
    await this.w.close();
    await this.store.local.abort(this.record.backendRef);
  }

  /** Ends the session; the ingest stays on disk and can be resumed. */
  async close(): Promise<void> {
    await this.w.close();
  }
}
