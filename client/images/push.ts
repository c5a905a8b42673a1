// Push: copy an image's blobs from tsctrd's content store to a registry (layers and config first,
// then the manifest, then the index), skipping what the registry has and mounting what it can.
import { Readable } from 'node:stream';
import type { Connection } from '../connection.js';
import { readBlob } from '../content.js';
import { contentInfo } from '../services/content.js';
import { type Registry, isIndex, parseReference } from '../remotes/index.js';
import type { Descriptor, Index } from './oci.js';
import type { PullProgress } from './pull.js';
import { hasBlob, platformManifest, readAll, readJson } from './walk.js';

export async function pushImage(
  c: Connection,
  reg: Registry,
  local: string,
  remote: string,
  progress: (p: PullProgress) => void = () => undefined,
): Promise<string> {
  const ref = parseReference(remote);
  const root = (await c.image(local).get()).target! as Descriptor;
  const sourceKey = `containerd.io/distribution.source.${ref.host.replace(/:\d+$/, '')}`;

  const pushBlob = async (d: Descriptor, kind: PullProgress['kind']) => {
    progress({ digest: d.digest, kind, status: 'waiting', offset: 0, total: d.size });
    const info = await contentInfo(c, d.digest);
    const from = info.labels[sourceKey]?.split(',') ?? [];
    const r = await reg.pushBlob(ref, d, () => Readable.from(readBlob(c, d.digest)), { mountFrom: from });
    progress({
      digest: d.digest,
      kind,
      status: r === 'uploaded' ? 'downloaded' : 'exists',
      offset: d.size,
      total: d.size,
    });
  };

  const pushManifestTree = async (m: Descriptor, tag?: string) => {
    const manifest = await readJson<{ config: Descriptor; layers: Descriptor[] }>(c, m.digest);
    await Promise.all(manifest.layers.map((l) => pushBlob(l, 'layer')));
    await pushBlob(manifest.config, 'config');
    await reg.pushManifest(ref, m, await readAll(c, m.digest), tag ? { tag } : {});
    progress({ digest: m.digest, kind: 'manifest', status: 'downloaded', offset: m.size, total: m.size });
  };

  const tag = ref.digest ? undefined : ref.tag;
  if (isIndex(root.mediaType)) {
    const index = await readJson<Index>(c, root.digest);
    const present = await Promise.all(index.manifests.map((m) => hasBlob(c, m.digest)));
    if (present.every(Boolean)) {
      for (const m of index.manifests) await pushManifestTree(m);
      await reg.pushManifest(ref, root, await readAll(c, root.digest), tag ? { tag } : {});
      return root.digest;
    }
    const { desc } = await platformManifest(c, root);
    await pushManifestTree(desc, tag);
    return desc.digest;
  }
  await pushManifestTree(root, tag);
  return root.digest;
}
