// Unpacks an image whose blobs are already in the content store (after an import).
import type { Connection } from '../connection.js';
import type { Descriptor } from './oci.js';
import { ownerLabels } from './owned-leases.js';
import { unpackChain } from './unpack.js';
import { imageConfig, platformManifest } from './walk.js';

export async function unpackImage(conn: Connection, root: Descriptor, snapshotter: string): Promise<string> {
  // Owned, like a pull's lease: if this process dies mid-unpack, the next one drops the lease
  // (otherwise it would hold the half-made snapshots for an hour).
  return conn.withLease(
    async (c) => {
      const { manifest } = await platformManifest(c, root);
      const cfg = await imageConfig(c, manifest);
      return unpackChain(c, snapshotter, manifest.layers, cfg.rootfs.diff_ids, manifest.config.digest);
    },
    { labels: ownerLabels() },
  );
}
