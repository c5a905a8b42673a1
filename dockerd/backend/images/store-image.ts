// Making a new image in tsctrd from layers already in its content store (docker import, docker
// commit): the config and a Docker manifest are written, the manifest labelled so the GC keeps
// what it references, the image record created (or moved) and its layers unpacked. Callers work
// under `withLease`, so nothing they wrote is collected before the image record refers to it.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Connection } from '../../../client/connection.js';
import { writeBlob } from '../../../client/content.js';
import type { Descriptor } from '../../../client/images/oci.js';
import { ownerLabels } from '../../../client/images/owned-leases.js';
import { unpackImage } from '../../../client/images/unpack-image.js';
import { MediaType } from '../../../client/remotes/media.js';
import { setContentLabels } from '../../../client/services/content.js';
import { DEFAULT_SNAPSHOTTER } from '../../../client/snapshotter.js';
import { DANGLING_PREFIX } from '../images.js';

export function withLease<T>(c: Connection, fn: (leased: Connection) => Promise<T>): Promise<T> {
  const id = `dockerd-${Date.now()}-${randomBytes(3).toString('hex')}`;
  return c.withLease(fn, { id, labels: ownerLabels() });
}

export async function putBlob(c: Connection, data: Buffer, mediaType: string): Promise<Descriptor> {
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  await writeBlob(c, `dockerd-${digest}`, Readable.from([data]), { total: data.length, expected: digest });
  return { mediaType, digest, size: data.length };
}

/** Writes config + manifest, records the image under `name` (or as dangling), unpacks it; returns its ID. */
export async function storeImage(
  c: Connection,
  o: {
    config: object;
    layers: Descriptor[];
    name?: string;
    labels?: Record<string, string>;
    /** The top snapshot is known to exist (a build step): it is only rooted to the config, not unpacked. */
    topSnapshot?: string;
  },
): Promise<{ id: string; manifest: Descriptor }> {
  const cfg = await putBlob(c, Buffer.from(JSON.stringify(o.config)), MediaType.DockerConfig);
  if (o.topSnapshot)
    await setContentLabels(c, cfg.digest, {
      [`containerd.io/gc.ref.snapshot.${DEFAULT_SNAPSHOTTER}`]: o.topSnapshot,
    });
  const manifest = await putBlob(
    c,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.DockerManifest,
        config: cfg,
        layers: o.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      }),
    ),
    MediaType.DockerManifest,
  );
  const labels: Record<string, string> = { 'containerd.io/gc.ref.content.config': cfg.digest };
  o.layers.forEach((l, i) => (labels[`containerd.io/gc.ref.content.l.${i}`] = l.digest));
  await setContentLabels(c, manifest.digest, labels);
  await c
    .image(o.name ?? `${DANGLING_PREFIX}${manifest.digest}`)
    .put({ target: manifest, labels: o.labels ?? {} }, o.labels ? ['target', 'labels'] : ['target'], true);
  if (!o.topSnapshot) await unpackImage(c, manifest, DEFAULT_SNAPSHOTTER);
  return { id: cfg.digest, manifest };
}
