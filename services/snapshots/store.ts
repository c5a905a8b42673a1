// Snapshots per namespace: records in the metadata DB (key → backend id, kind, parent, labels), bytes
// in a backend's directories. Commit renames the record and keeps the directory: nothing is copied.
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../../api/errdefs.js';
import type { EventPublisher } from '../events/exchange.js';
import { adapt, parseFilters, present } from '../filters/index.js';
import { attachToLease } from '../leases/store.js';
import type { MetadataDB, ReadView, Tx } from '../metadata/db.js';
import { keys, splitId } from '../metadata/keys.js';
import { type Labels, cleanLabels, updateLabels } from '../metadata/labels.js';
import { type Nanos, fromRecord, nowNanos, toRecord } from '../metadata/time.js';
import * as validate from '../validate/validate.js';
import { type Mount, type SnapshotBackend, type SnapshotKind, diskUsage } from './backend.js';

export interface SnapshotRecord {
  id: string;
  kind: SnapshotKind;
  parent: string;
  labels: Labels;
  createdAt: string;
  updatedAt: string;
  size?: number;
  inodes?: number;
}

export interface SnapshotInfo {
  name: string;
  parent: string;
  kind: SnapshotKind;
  createdAt: Nanos;
  updatedAt: Nanos;
  labels: Labels;
}

const SEQ = keys.system('snapshot-seq');

function checkKey(what: string, key: string): string {
  if (key === '') throw invalidArgument(`${what} must not be empty`);
  if (key.includes('\x00')) throw invalidArgument(`${what} contains a NUL byte`);
  if (key.length > 4096) throw invalidArgument(`${what} is longer than 4096 characters`);
  return key;
}

const toInfo = (name: string, r: SnapshotRecord): SnapshotInfo => ({
  name,
  parent: r.parent,
  kind: r.kind,
  createdAt: fromRecord(r.createdAt),
  updatedAt: fromRecord(r.updatedAt),
  labels: r.labels ?? {},
});

export class SnapshotStore {
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly db: MetadataDB,
    private readonly backends: Map<string, SnapshotBackend>,
    private readonly events: EventPublisher,
  ) {}

  names(): string[] {
    return [...this.backends.keys()];
  }

  backend(name: string): SnapshotBackend {
    if (!name) throw invalidArgument('snapshotter argument missing');
    const b = this.backends.get(name);
    if (!b) throw invalidArgument(`snapshotter not loaded: ${name}`);
    return b;
  }

  /** Ids being created right now (the GC must not take their directories). */
  busyIds(): Set<string> {
    return this.inFlight;
  }

  private key(ns: string, sn: string, key: string): string {
    return keys.object(ns, `snapshot/${sn}`, key);
  }

  private async record(v: ReadView, ns: string, sn: string, key: string): Promise<SnapshotRecord> {
    const r = await v.get<SnapshotRecord>(this.key(ns, sn, key));
    if (!r) throw notFound(`snapshot ${key} does not exist`);
    return r;
  }

  /** Backend ids of a snapshot's parents, nearest first. */
  private async parentIds(v: ReadView, ns: string, sn: string, parent: string): Promise<string[]> {
    const ids: string[] = [];
    let p = parent;
    while (p) {
      const r = await v.get<SnapshotRecord>(this.key(ns, sn, p));
      if (!r) throw notFound(`parent snapshot ${p} does not exist`);
      ids.push(r.id);
      p = r.parent;
    }
    return ids;
  }

  async prepare(
    ns: string,
    sn: string,
    key: string,
    parent: string,
    labels: Labels,
    lease?: string,
  ): Promise<Mount[]> {
    return this.create(ns, sn, 'active', key, parent, labels, lease);
  }

  async view(
    ns: string,
    sn: string,
    key: string,
    parent: string,
    labels: Labels,
    lease?: string,
  ): Promise<Mount[]> {
    return this.create(ns, sn, 'view', key, parent, labels, lease);
  }

  private async create(
    ns: string,
    sn: string,
    kind: SnapshotKind,
    key: string,
    parent: string,
    labels: Labels,
    lease?: string,
  ): Promise<Mount[]> {
    validate.identifier('namespace', ns);
    const b = this.backend(sn);
    checkKey('key', key);
    const clean = cleanLabels(labels);
    return this.db.update(async (tx) => {
      if (await tx.get(this.key(ns, sn, key))) throw alreadyExists(`snapshot ${key}`);
      let parents: string[] = [];
      if (parent) {
        const pr = await tx.get<SnapshotRecord>(this.key(ns, sn, parent));
        if (!pr) throw notFound(`parent snapshot ${parent} does not exist`);
        if (pr.kind !== 'committed') throw invalidArgument(`parent ${parent} is not committed snapshot`);
        parents = await this.parentIds(tx, ns, sn, parent);
      }
      const id = await this.nextId(tx);
      this.inFlight.add(id);
      try {
        await b.create(id, kind, parents);
      } finally {
        tx.afterCommit(() => void this.inFlight.delete(id));
      }
      const now = toRecord(nowNanos());
      tx.put(this.key(ns, sn, key), {
        id,
        kind,
        parent,
        labels: clean,
        createdAt: now,
        updatedAt: now,
      } satisfies SnapshotRecord);
      await tx.ensureNamespace(ns);
      await attachToLease(tx, ns, lease, { type: `snapshots/${sn}`, id: key });
      tx.afterCommit(() => this.events.publish(ns, '/snapshot/prepare', 'SnapshotPrepare', { key, parent }));
      return b.mounts(id, kind, parents);
    });
  }

  private async nextId(tx: Tx): Promise<string> {
    const n = ((await tx.get<number>(SEQ)) ?? 0) + 1;
    tx.put(SEQ, n);
    return String(n);
  }

  async mounts(ns: string, sn: string, key: string): Promise<Mount[]> {
    validate.identifier('namespace', ns);
    const b = this.backend(sn);
    checkKey('key', key);
    const r = await this.record(this.db, ns, sn, key);
    return b.mounts(r.id, r.kind, await this.parentIds(this.db, ns, sn, r.parent));
  }

  async commit(
    ns: string,
    sn: string,
    name: string,
    key: string,
    labels: Labels,
    lease?: string,
  ): Promise<void> {
    validate.identifier('namespace', ns);
    const b = this.backend(sn);
    checkKey('name', name);
    checkKey('key', key);
    const clean = cleanLabels(labels);
    const pre = await this.record(this.db, ns, sn, key);
    if (pre.kind !== 'active') throw failedPrecondition(`snapshot ${key} is not active`);
    const usage = await diskUsage(b.fsDir(pre.id));
    await this.db.update(async (tx) => {
      const r = await this.record(tx, ns, sn, key);
      if (r.kind !== 'active') throw failedPrecondition(`snapshot ${key} is not active`);
      if (await tx.get(this.key(ns, sn, name))) throw alreadyExists(`snapshot ${name}`);
      const now = toRecord(nowNanos());
      tx.del(this.key(ns, sn, key));
      tx.put(this.key(ns, sn, name), {
        id: r.id,
        kind: 'committed',
        parent: r.parent,
        labels: clean,
        createdAt: now,
        updatedAt: now,
        size: usage.size,
        inodes: usage.inodes,
      } satisfies SnapshotRecord);
      await attachToLease(tx, ns, lease, { type: `snapshots/${sn}`, id: name });
      tx.afterCommit(() => this.events.publish(ns, '/snapshot/commit', 'SnapshotCommit', { key, name }));
    });
  }

  async remove(ns: string, sn: string, key: string): Promise<void> {
    validate.identifier('namespace', ns);
    this.backend(sn);
    checkKey('key', key);
    await this.db.update(async (tx) => {
      await this.record(tx, ns, sn, key);
      const prefix = keys.objects(ns, `snapshot/${sn}`);
      for await (const [, r] of tx.scan<SnapshotRecord>(prefix)) {
        if (r.parent === key) throw failedPrecondition(`cannot remove snapshot with child: ${key}`);
      }
      tx.del(this.key(ns, sn, key));
      tx.markDeleted();
      tx.afterCommit(() => this.events.publish(ns, '/snapshot/remove', 'SnapshotRemove', { key }));
    });
  }

  async stat(ns: string, sn: string, key: string): Promise<SnapshotInfo> {
    validate.identifier('namespace', ns);
    this.backend(sn);
    checkKey('key', key);
    return toInfo(key, await this.record(this.db, ns, sn, key));
  }

  async update(ns: string, sn: string, key: string, labels: Labels, paths: string[]): Promise<SnapshotInfo> {
    validate.identifier('namespace', ns);
    this.backend(sn);
    checkKey('key', key);
    return this.db.update(async (tx) => {
      const r = await this.record(tx, ns, sn, key);
      const next: SnapshotRecord = {
        ...r,
        labels: updateLabels(r.labels ?? {}, labels, paths),
        updatedAt: toRecord(nowNanos()),
      };
      tx.put(this.key(ns, sn, key), next);
      return toInfo(key, next);
    });
  }

  async *list(ns: string, sn: string, filters: string[]): AsyncIterable<SnapshotInfo> {
    validate.identifier('namespace', ns);
    this.backend(sn);
    const filter = parseFilters(filters);
    const prefix = keys.objects(ns, `snapshot/${sn}`);
    for await (const [k, r] of this.db.scan<SnapshotRecord>(prefix)) {
      const info = toInfo(splitId(k, prefix)[0], r);
      const a = adapt(
        { kind: info.kind, name: present(info.name), parent: present(info.parent) },
        { labels: info.labels },
      );
      if (filter.match(a)) yield info;
    }
  }

  async usage(ns: string, sn: string, key: string): Promise<{ size: number; inodes: number }> {
    validate.identifier('namespace', ns);
    const b = this.backend(sn);
    checkKey('key', key);
    const r = await this.record(this.db, ns, sn, key);
    if (r.kind === 'committed' && r.size !== undefined) return { size: r.size, inodes: r.inodes ?? 0 };
    return diskUsage(b.fsDir(r.id));
  }
}
