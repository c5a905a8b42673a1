// Unpacks an image whose blobs are already in the content store (after an import).
import { randomBytes } from 'node:crypto';
import type { Connection } from '../connection.js';
import type { Descriptor } from './oci.js';
import { unpackChain } from './unpack.js';
import { imageConfig, platformManifest } from './walk.js';

export async function unpackImage(c: Connection, root: Descriptor, snapshotter: string): Promise<string> {
  const lease = `${Date.now()}-${randomBytes(3).toString('base64url')}`;
  const expire = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  await c.call(c.leases, c.leases.create, { id: lease, labels: { 'containerd.io/gc.expire': expire } });
  const prev = c.lease;
  c.lease = lease;
  try {
    const { manifest } = await platformManifest(c, root);
    const cfg = await imageConfig(c, manifest);
    return await unpackChain(c, snapshotter, manifest.layers, cfg.rootfs.diff_ids, manifest.config.digest);
  } finally {
    c.lease = prev;
    await c.call(c.leases, c.leases.delete, { id: lease, sync: false }).catch(() => undefined);
  }
}
