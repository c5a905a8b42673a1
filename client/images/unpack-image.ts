// Unpacks an image whose blobs are already in the content store (after an import).
import { randomBytes } from 'node:crypto';
import type { Connection } from '../connection.js';
import { chainIds } from './chain.js';
import type { Descriptor } from './oci.js';
import { unpackLayer } from './unpack.js';
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
    const chain = chainIds(cfg.rootfs.diff_ids);
    for (let i = 0; i < manifest.layers.length; i++) {
      await unpackLayer(c, snapshotter, {
        layer: manifest.layers[i],
        diffId: cfg.rootfs.diff_ids[i],
        chainId: chain[i],
        parent: i ? chain[i - 1] : '',
      });
    }
    const top = chain[chain.length - 1] ?? '';
    if (top) {
      const key = `containerd.io/gc.ref.snapshot.${snapshotter}`;
      await c.call(c.content, c.content.update, {
        info: { digest: manifest.config.digest, size: 0, labels: { [key]: top } },
        updateMask: [`labels.${key}`],
      });
    }
    return top;
  } finally {
    c.lease = prev;
    await c.call(c.leases, c.leases.delete, { id: lease, sync: false }).catch(() => undefined);
  }
}
