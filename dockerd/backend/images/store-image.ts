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

export async function withLease<T>(c: Connection, fn: () => Promise<T>): Promise<T> {
  const id = `dockerd-${Date.now()}-${randomBytes(3).toString('hex')}`;
  const expire = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  await c.call(c.leases, c.leases.create, {
    id,
    labels: { 'containerd.io/gc.expire': expire, ...ownerLabels() },
  });
  const prev = c.lease;
  c.lease = id;
  try {
    return await fn();
  } finally {
    c.lease = prev;
    await c.call(c.leases, c.leases.delete, { id, sync: false }).catch(() => undefined);
  }
}

export async function putBlob(c: Connection, data: Buffer, mediaType: string): Promise<Descriptor> {
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  await writeBlob(c, `dockerd-${digest}`, Readable.from([data]), { total: data.length, expected: digest });
  return { mediaType, digest, size: data.length };
}

/** Writes config + manifest, records the image under `name` (or as dangling), unpacks it; returns its ID. */
export async function storeImage(
  c: Connection,
  o: { config: object; layers: Descriptor[]; name?: string },
): Promise<{ id: string; manifest: Descriptor }> {
  const cfg = await putBlob(c, Buffer.from(JSON.stringify(o.config)), MediaType.DockerConfig);
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
  await c.call(c.content, c.content.update, {
    info: { digest: manifest.digest, size: 0, labels },
    updateMask: Object.keys(labels).map((k) => `labels.${k}`),
  });
  const image = {
    name: o.name ?? `moby-dangling@${manifest.digest}`,
    labels: {},
    target: { ...manifest, annotations: {} },
    createdAt: undefined,
    updatedAt: undefined,
  };
  await c
    .call(c.images, c.images.create, { image })
    .catch(() => c.call(c.images, c.images.update, { image, updateMask: ['target'] }));
  await unpackImage(c, manifest, 'overlayfs');
  return { id: cfg.digest, manifest };
}
