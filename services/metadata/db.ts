// The metadata database: LevelDB (via `level`) with one writer at a time. Reads go straight to the
// store; every mutation runs inside `update`, which serialises writers (like bolt) and commits all of
// its puts and deletes in one atomic batch. Work to do once the batch is durable (events, file
// removal) is queued with `tx.afterCommit`.
import { Level } from 'level';
import { keys, prefixEnd } from './keys.js';
import { RWLock } from './mutex.js';

type Op = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

export interface ReadView {
  get<T>(key: string): Promise<T | undefined>;
  scan<T>(prefix: string): AsyncIterable<[string, T]>;
  has(prefix: string): Promise<boolean>;
}

export class Tx implements ReadView {
  readonly ops = new Map<string, Op>();
  readonly after: Array<() => void | Promise<void>> = [];
  deletions = 0;

  constructor(private readonly db: MetadataDB) {}

  async get<T>(key: string): Promise<T | undefined> {
    const op = this.ops.get(key);
    if (op) return op.type === 'put' ? (op.value as T) : undefined;
    return this.db.get<T>(key);
  }

  /** Scans what is committed plus this transaction's own puts and deletes, in key order. */
  async *scan<T>(prefix: string): AsyncIterable<[string, T]> {
    const end = prefixEnd(prefix);
    const mine = [...this.ops.entries()].filter(([k]) => k >= prefix && k < end);
    if (mine.length === 0) {
      yield* this.db.scan<T>(prefix);
      return;
    }
    const merged = new Map<string, T>();
    for await (const [k, v] of this.db.scan<T>(prefix)) merged.set(k, v);
    for (const [k, op] of mine) {
      if (op.type === 'put') merged.set(k, op.value as T);
      else merged.delete(k);
    }
    yield* [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async has(prefix: string): Promise<boolean> {
    for await (const _ of this.scan(prefix)) return true;
    return false;
  }

  put(key: string, value: unknown): void {
    this.ops.set(key, { type: 'put', key, value });
  }

  del(key: string): void {
    this.ops.set(key, { type: 'del', key });
  }

  /** Records that this transaction removed something a user deleted: the GC should run soon. */
  markDeleted(): void {
    this.deletions++;
  }

  /** Runs after the batch has been written (never if the transaction fails). */
  afterCommit(fn: () => void | Promise<void>): void {
    this.after.push(fn);
  }

  /** Makes sure the namespace record exists: namespaces come into being with their first object. */
  async ensureNamespace(ns: string): Promise<void> {
    const key = keys.namespace(ns);
    if ((await this.get(key)) === undefined) this.put(key, { labels: {} });
  }
}

/** Called once per committed transaction: how many user deletions it made, and 1 mutation. */
export type MutationListener = (deletions: number, mutations: number) => void;

export class MetadataDB implements ReadView {
  /** Writers hold it shared... in practice one at a time through `writeLock`; the GC sweep holds it exclusively. */
  readonly gcLock = new RWLock();
  private writeTail: Promise<void> = Promise.resolve();
  private listeners: MutationListener[] = [];

  private constructor(private readonly level: Level<string, unknown>) {}

  static async open(dir: string): Promise<MetadataDB> {
    const level = new Level<string, unknown>(dir, { keyEncoding: 'utf8', valueEncoding: 'json' });
    await level.open();
    return new MetadataDB(level);
  }

  async close(): Promise<void> {
    await this.writeTail;
    await this.level.close();
  }

  onMutation(fn: MutationListener): void {
    this.listeners.push(fn);
  }

  async get<T>(key: string): Promise<T | undefined> {
    const v = await this.level.get(key);
    return v === undefined ? undefined : (v as T);
  }

  async *scan<T>(prefix: string): AsyncIterable<[string, T]> {
    for await (const [k, v] of this.level.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
      yield [k, v as T];
    }
  }

  async has(prefix: string): Promise<boolean> {
    const found = await this.level.keys({ gte: prefix, lt: prefixEnd(prefix), limit: 1 }).all();
    return found.length > 0;
  }

  /**
   * Runs `fn` as the only writer, then commits its operations atomically. The GC lock is held shared,
   * so a sweep never interleaves with a half-done mutation.
   */
  update<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> =>
      this.gcLock.shared(async () => {
        const tx = new Tx(this);
        const result = await fn(tx);
        if (tx.ops.size > 0) {
          await this.level.batch(
            [...tx.ops.values()].map((op) =>
              op.type === 'put'
                ? { type: 'put' as const, key: op.key, value: op.value }
                : { type: 'del' as const, key: op.key },
            ),
          );
          for (const l of this.listeners) l(tx.deletions, 1);
        }
        for (const fn of tx.after) await fn();
        return result;
      });
    const p = this.writeTail.then(run, run);
    this.writeTail = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  /** Commits raw operations without the writer queue; only for the GC, which holds the lock exclusively. */
  async applyUnlocked(ops: Op[]): Promise<void> {
    if (ops.length === 0) return;
    await this.level.batch(
      ops.map((op) =>
        op.type === 'put'
          ? { type: 'put' as const, key: op.key, value: op.value }
          : { type: 'del' as const, key: op.key },
      ),
    );
  }
}
