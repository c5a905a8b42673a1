// Typed calls on tsctrd's Content service for what is not a blob's bytes (those are in
// ../content.ts): a blob's info and labels, deletion, and the lists of blobs and ingests.
import type { Info, Status } from '../../api/gen/containerd/services/content/v1/content.js';
import type { Connection } from '../connection.js';

export type { Info as ContentInfo, Status as IngestStatus };

export async function contentInfo(c: Connection, digest: string): Promise<Info> {
  return (await c.call(c.content, c.content.info, { digest })).info!;
}

/** Sets (or, with '' as value, removes) the given labels of a blob; returns its info. */
export async function setContentLabels(
  c: Connection,
  digest: string,
  labels: Record<string, string>,
): Promise<Info> {
  const { info } = await c.call(c.content, c.content.update, {
    info: { digest, size: 0, labels },
    updateMask: Object.keys(labels).map((k) => `labels.${k}`),
  });
  return info!;
}

export async function deleteContent(c: Connection, digest: string): Promise<void> {
  await c.call(c.content, c.content.delete, { digest });
}

/** The namespace's blobs (containerd's filter syntax; none: all). */
export async function listContent(c: Connection, filters: string[] = []): Promise<Info[]> {
  const batches = await c.collect(c.content.list({ filters }, c.metadata()));
  return batches.flatMap((b) => b.info);
}

/** Ingests in progress (writes not committed yet). */
export async function listIngests(c: Connection, filters: string[] = []): Promise<Status[]> {
  return (await c.call(c.content, c.content.listStatuses, { filters })).statuses;
}
