// Leases: named holds on content, snapshots and ingests. Objects created while a request carries a
// lease are attached to it; a lease protects its resources from the GC until it is deleted or its
// `containerd.io/gc.expire` time passes.
import { alreadyExists, invalidArgument, notFound } from '../../api/errdefs.js';
import type { MetadataDB, Tx } from '../metadata/db.js';
import { keys, splitId } from '../metadata/keys.js';
import { type Labels, cleanLabels } from '../metadata/labels.js';
import { type Nanos, fromRecord, nowNanos, toRecord } from '../metadata/time.js';
import * as validate from '../validate/validate.js';

export interface Lease {
  id: string;
  createdAt: Nanos;
  labels: Labels;
}

export interface LeaseResource {
  id: string;
  /** `content`, `ingests`, or `snapshots/<snapshotter>`. */
  type: string;
}

interface LeaseRecord {
  createdAt: string;
  labels: Labels;
}

export interface LeaseStore {
  create(ns: string, id: string, labels: Labels): Promise<Lease>;
  delete(ns: string, id: string): Promise<void>;
  list(ns: string): Promise<Lease[]>;
  addResource(ns: string, id: string, r: LeaseResource): Promise<void>;
  deleteResource(ns: string, id: string, r: LeaseResource): Promise<void>;
  listResources(ns: string, id: string): Promise<LeaseResource[]>;
}

export function checkResource(r: LeaseResource): LeaseResource {
  if (r.id === '') throw invalidArgument('resource id must not be empty');
  if (r.type === 'content') validate.digest(r.id);
  else if (r.type === 'ingests') validate.ref(r.id);
  else if (r.type.startsWith('snapshots/') && r.type.length > 'snapshots/'.length) {
    if (r.id.includes('\x00')) throw invalidArgument('snapshot key contains a NUL byte');
  } else throw invalidArgument(`unsupported resource type ${JSON.stringify(r.type)}`);
  return r;
}

/** Attaches a resource to the request's lease inside the caller's transaction (no-op without one). */
export async function attachToLease(
  tx: Tx,
  ns: string,
  lease: string | undefined,
  r: LeaseResource,
): Promise<void> {
  if (!lease) return;
  if ((await tx.get(keys.object(ns, 'lease', lease))) === undefined)
    throw notFound(`lease ${JSON.stringify(lease)}`);
  tx.put(keys.leaseResource(ns, lease, r.type, r.id), 1);
}

export class LevelLeaseStore implements LeaseStore {
  constructor(private readonly db: MetadataDB) {}

  async create(ns: string, id: string, labels: Labels): Promise<Lease> {
    validate.identifier('namespace', ns);
    validate.leaseId(id);
    const clean = cleanLabels(labels);
    return this.db.update(async (tx) => {
      const key = keys.object(ns, 'lease', id);
      if ((await tx.get(key)) !== undefined) throw alreadyExists(`lease ${JSON.stringify(id)}`);
      const createdAt = nowNanos();
      await tx.ensureNamespace(ns);
      tx.put(key, { createdAt: toRecord(createdAt), labels: clean } satisfies LeaseRecord);
      return { id, createdAt, labels: clean };
    });
  }

  async delete(ns: string, id: string): Promise<void> {
    validate.identifier('namespace', ns);
    await this.db.update(async (tx) => {
      const key = keys.object(ns, 'lease', id);
      if ((await tx.get(key)) === undefined) throw notFound(`lease ${JSON.stringify(id)}`);
      tx.del(key);
      for await (const [k] of tx.scan(keys.leaseResources(ns, id))) tx.del(k);
      tx.markDeleted();
    });
  }

  async list(ns: string): Promise<Lease[]> {
    validate.identifier('namespace', ns);
    const prefix = keys.objects(ns, 'lease');
    const out: Lease[] = [];
    for await (const [k, rec] of this.db.scan<LeaseRecord>(prefix)) {
      out.push({ id: splitId(k, prefix)[0], createdAt: fromRecord(rec.createdAt), labels: rec.labels ?? {} });
    }
    return out;
  }

  async addResource(ns: string, id: string, r: LeaseResource): Promise<void> {
    validate.identifier('namespace', ns);
    checkResource(r);
    await this.db.update((tx) => attachToLease(tx, ns, id, r));
  }

  async deleteResource(ns: string, id: string, r: LeaseResource): Promise<void> {
    validate.identifier('namespace', ns);
    checkResource(r);
    await this.db.update(async (tx) => {
      if ((await tx.get(keys.object(ns, 'lease', id))) === undefined)
        throw notFound(`lease ${JSON.stringify(id)}`);
      tx.del(keys.leaseResource(ns, id, r.type, r.id));
      tx.markDeleted();
    });
  }

  async listResources(ns: string, id: string): Promise<LeaseResource[]> {
    validate.identifier('namespace', ns);
    if ((await this.db.get(keys.object(ns, 'lease', id))) === undefined)
      throw notFound(`lease ${JSON.stringify(id)}`);
    const prefix = keys.leaseResources(ns, id);
    const out: LeaseResource[] = [];
    for await (const [k] of this.db.scan(prefix)) {
      const [type, rid] = splitId(k, prefix);
      out.push({ type, id: rid });
    }
    return out;
  }
}
