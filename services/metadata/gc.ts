// Mark and sweep over the metadata, as containerd's GC does. Roots per namespace: live leases (and what
// they hold), images, containers, objects labelled containerd.io/gc.root, and ingests that have not
// expired. Edges: containerd.io/gc.ref.* labels, snapshot parents, an ingest's expected digest.
// Unreached records are deleted in one batch; then each backend removes the files no record names.
import type { Logger } from 'pino';
import { type MetadataDB, type ReadView } from './db.js';
import { GC_FLAT, GC_ROOT, type Ref, labelRefs, leaseExpired } from './gc-labels.js';
import { SEP, keys, splitId } from './keys.js';

/** A store whose files the GC sweeps once the metadata is settled. Runs under the exclusive lock. */
export interface GcBackend {
  name: string;
  sweep(view: ReadView): Promise<number>;
  /** Slow removal of what `sweep` set aside, run after the lock is released. */
  afterSweep?(): Promise<void>;
}

interface LooseRecord {
  labels?: Record<string, string>;
  target?: { digest?: string };
  snapshotter?: string;
  snapshotKey?: string;
  parent?: string;
  expected?: string;
  expireAt?: string;
}

export interface GcStats {
  removedRecords: number;
  removedFiles: number;
  ms: number;
}

const node = (ns: string, kind: string, id: string): string => `${ns}${SEP}${kind}${SEP}${id}`;

function refNode(ns: string, r: Ref): string {
  return r.kind === 'content' ? node(ns, 'content', r.digest) : node(ns, `snapshot/${r.snapshotter}`, r.key);
}

export class GarbageCollector {
  private readonly backends: GcBackend[] = [];

  constructor(
    private readonly db: MetadataDB,
    private readonly log: Logger,
  ) {}

  addBackend(b: GcBackend): void {
    this.backends.push(b);
  }

  async collect(): Promise<GcStats> {
    const start = performance.now();
    const stats = await this.db.gcLock.exclusive(async () => {
      const removedRecords = await this.sweepRecords();
      let removedFiles = 0;
      for (const b of this.backends) removedFiles += await b.sweep(this.db);
      return { removedRecords, removedFiles, ms: Math.round(performance.now() - start) };
    });
    for (const b of this.backends) await b.afterSweep?.();
    this.log.debug({ ...stats, totalMs: Math.round(performance.now() - start) }, 'garbage collected');
    return stats;
  }

  private async sweepRecords(): Promise<number> {
    const now = BigInt(Date.now()) * 1_000_000n;
    const nowMs = Date.now();
    const dels: string[] = [];
    for await (const [nsKey] of this.db.scan(keys.namespaces())) {
      const ns = splitId(nsKey, keys.namespaces())[0];
      const records = new Map<string, LooseRecord>();
      const prefix = keys.objects(ns);
      const leaseRes: Array<{ lease: string; type: string; id: string; key: string }> = [];
      for await (const [k, v] of this.db.scan<LooseRecord>(prefix)) {
        const [kind, ...rest] = splitId(k, prefix);
        if (kind === 'leaseres') {
          const [lease, type, id] = rest;
          leaseRes.push({ lease, type, id, key: k });
        } else records.set(node(ns, kind, rest.join(SEP)), v);
      }
      const reached = new Set<string>();
      const flat = new Set<string>();
      const stack: string[] = [];
      const reach = (n: string) => {
        if (!reached.has(n)) {
          reached.add(n);
          stack.push(n);
        }
      };
      const expiredLeases = new Set<string>();
      for (const [n, rec] of records) {
        const [, kind, id] = n.split(SEP);
        if (kind === 'lease') {
          if (leaseExpired(rec.labels, nowMs)) expiredLeases.add(id);
          else if (rec.labels?.[GC_FLAT] !== undefined) flat.add(id);
        } else if (kind === 'image' || kind === 'container') {
          reach(n);
        } else if (kind === 'ingest') {
          // Leased ingests live through their lease; the others until their expiry.
          if (rec.expireAt && BigInt(rec.expireAt) > now) reach(n);
        } else if (rec.labels?.[GC_ROOT] !== undefined) {
          reach(n);
        }
      }
      for (const r of leaseRes) {
        if (expiredLeases.has(r.lease)) continue;
        const kind =
          r.type === 'ingests'
            ? 'ingest'
            : r.type.startsWith('snapshots/')
              ? `snapshot/${r.type.slice(10)}`
              : r.type;
        const n = node(ns, kind, r.id);
        if (flat.has(r.lease)) reached.add(n);
        else reach(n);
      }
      while (stack.length > 0) {
        const n = stack.pop()!;
        const rec = records.get(n);
        if (!rec) continue;
        const [, kind] = n.split(SEP);
        for (const r of labelRefs(rec.labels)) reach(refNode(ns, r));
        if (kind === 'image' && rec.target?.digest) reach(node(ns, 'content', rec.target.digest));
        if (kind === 'container' && rec.snapshotter && rec.snapshotKey) {
          reach(node(ns, `snapshot/${rec.snapshotter}`, rec.snapshotKey));
        }
        if (kind.startsWith('snapshot/') && rec.parent) reach(node(ns, kind, rec.parent));
        if (kind === 'ingest' && rec.expected) reach(node(ns, 'content', rec.expected));
      }
      for (const n of records.keys()) {
        const [, kind, ...id] = n.split(SEP);
        const collectable = kind === 'content' || kind === 'ingest' || kind.startsWith('snapshot/');
        if ((collectable && !reached.has(n)) || (kind === 'lease' && expiredLeases.has(id.join(SEP)))) {
          dels.push(keys.object(ns, kind as 'content', id.join(SEP)));
        }
      }
      for (const r of leaseRes) if (expiredLeases.has(r.lease)) dels.push(r.key);
    }
    await this.db.applyUnlocked(dels.map((key) => ({ type: 'del' as const, key })));
    return dels.length;
  }
}

export interface GcSchedulerOptions {
  /** Run after this many mutations even without deletions. */
  mutationThreshold: number;
  /** How often to look for expired leases and ingests. */
  periodMs: number;
}

/**
 * Decides when the GC runs: soon after any deletion, after many mutations, when an expired lease
 * is waiting (containerd only notices those when something else triggers it), or on demand.
 */
export class GcScheduler {
  private mutations = 0;
  private dirty = false;
  private running: Promise<GcStats> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly gc: GarbageCollector,
    private readonly db: MetadataDB,
    private readonly log: Logger,
    private readonly opts: GcSchedulerOptions,
  ) {
    db.onMutation((deletions, count) => {
      this.mutations += count;
      if (deletions > 0) this.dirty = true;
      if (this.dirty || this.mutations >= opts.mutationThreshold) this.trigger();
    });
  }

  start(): void {
    this.timer = setInterval(() => void this.periodic(), this.opts.periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Runs a collection now (or right after the current one) and waits for it. */
  async runNow(): Promise<GcStats> {
    await new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.trigger();
    });
    return this.running ?? this.gc.collect();
  }

  /** Waits until any running or requested collection has finished. */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  private trigger(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.dirty = false;
    this.mutations = 0;
    const waiters = this.waiters.splice(0);
    this.running = new Promise<GcStats>((resolve, reject) =>
      setImmediate(() => this.gc.collect().then(resolve, reject)),
    );
    waiters.forEach((w) => w());
    this.running
      .catch((e: unknown) => this.log.error({ err: e }, 'garbage collection failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again || this.waiters.length > 0) {
          this.again = false;
          this.trigger();
        }
      });
  }

  private async periodic(): Promise<void> {
    if (this.running) return;
    if (this.dirty || (await this.somethingExpired())) this.trigger();
  }

  private async somethingExpired(): Promise<boolean> {
    const nowMs = Date.now();
    for await (const [nsKey] of this.db.scan(keys.namespaces())) {
      const ns = splitId(nsKey, keys.namespaces())[0];
      for await (const [, rec] of this.db.scan<LooseRecord>(keys.objects(ns, 'lease'))) {
        if (leaseExpired(rec.labels, nowMs)) return true;
      }
      for await (const [, rec] of this.db.scan<LooseRecord>(keys.objects(ns, 'ingest'))) {
        if (rec.expireAt && BigInt(rec.expireAt) < BigInt(nowMs) * 1_000_000n) return true;
      }
    }
    return false;
  }
}
