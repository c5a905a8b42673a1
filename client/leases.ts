// Leases over the Leases service, and `withLease`: a lease for one piece of work, carried by the calls
// of a view on the same connection and deleted when the work is done.
import { randomBytes } from 'node:crypto';
import { isNotFound } from '../api/errdefs.js';
import type { Lease } from '../api/gen/containerd/services/leases/v1/leases.js';
import type { Connection } from './connection.js';

export type { Lease };

export const EXPIRE_LABEL = 'containerd.io/gc.expire';

export interface LeaseOptions {
  /** The lease ID (default: a fresh one). */
  id?: string;
  /** The GC drops the lease after this long even if nobody deletes it (default one hour). */
  expireMs?: number;
  labels?: Record<string, string>;
  /** Keep the lease after `fn` (the caller deletes it, or lets it expire). */
  keep?: boolean;
}

/** A lease ID unlikely to collide with another process's. */
export function newLeaseId(): string {
  return `${process.hrtime.bigint() % 1_000_000_000n}-${randomBytes(3).toString('base64url')}`;
}

/** RFC 3339 (seconds) `ms` from now, the form containerd's expire label takes. */
export function expiresIn(ms: number): string {
  return new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export async function createLease(
  c: Connection,
  id: string,
  labels: Record<string, string> = {},
): Promise<Lease> {
  const { lease } = await c.call(c.leases, c.leases.create, { id, labels });
  return lease!;
}

/** Deletes a lease; `sync` waits for the GC to collect what only it held. */
export async function deleteLease(c: Connection, id: string, sync = false): Promise<void> {
  await c.call(c.leases, c.leases.delete, { id, sync });
}

export async function listLeases(c: Connection, filters: string[] = []): Promise<Lease[]> {
  return (await c.call(c.leases, c.leases.list, { filters })).leases;
}

/**
 * Creates a lease in `c`'s namespace, runs `fn` with a view of `c` whose calls carry it (the same
 * channel), then deletes it — also when `fn` throws — unless `opts.keep`. A failed deletion does not
 * fail the work: the lease expires on its own.
 */
export async function withLease<T>(
  c: Connection,
  fn: (leased: Connection) => Promise<T>,
  opts: LeaseOptions = {},
): Promise<T> {
  const id = opts.id ?? newLeaseId();
  await createLease(c, id, { [EXPIRE_LABEL]: expiresIn(opts.expireMs ?? 3600_000), ...(opts.labels ?? {}) });
  const leased = c.with({ lease: id });
  try {
    return await fn(leased);
  } finally {
    if (!opts.keep) await deleteLease(c, id).catch(() => retryDelete(c, id));
  }
}

/**
 * A lease whose deletion failed (tsctrd restarting, say) would hold what the work wrote until it
 * expires: try again in the background for a minute, without keeping the process alive.
 */
function retryDelete(c: Connection, id: string, attempt = 1): void {
  if (attempt > 60) return;
  const t = setTimeout(() => {
    deleteLease(c, id).catch((e: unknown) => {
      if (!isNotFound(e)) retryDelete(c, id, attempt + 1);
    });
  }, 1000);
  t.unref();
}
