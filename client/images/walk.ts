// Reading images back out of the content store: documents by digest, the platform manifest of an
// index, sizes and completeness (what `images ls` and `images check` show).
import { isNotFound } from '../../api/errdefs.js';
import type { Connection } from '../connection.js';
import { contentInfo } from '../services/content.js';
import { readBlob } from '../content.js';
import { isIndex, isManifest } from '../remotes/media.js';
import { type PlatformLike, defaultPlatform, platformMatches } from '../remotes/platform.js';
import type { Descriptor, ImageConfig, Index, Manifest } from './oci.js';

export async function readAll(c: Connection, digest: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const b of readBlob(c, digest)) chunks.push(b);
  return Buffer.concat(chunks);
}

export async function readJson<T>(c: Connection, digest: string): Promise<T> {
  return JSON.parse((await readAll(c, digest)).toString('utf8')) as T;
}

/** The manifest for `platform` under a root descriptor (an index or a manifest). */
export async function platformManifest(
  c: Connection,
  root: Descriptor,
  platform: PlatformLike = defaultPlatform(),
): Promise<{ desc: Descriptor; manifest: Manifest }> {
  if (isManifest(root.mediaType)) return { desc: root, manifest: await readJson<Manifest>(c, root.digest) };
  if (!isIndex(root.mediaType)) throw new Error(`unsupported image media type ${root.mediaType}`);
  const index = await readJson<Index>(c, root.digest);
  for (const m of index.manifests) {
    if (isIndex(m.mediaType)) {
      try {
        return await platformManifest(c, m, platform);
      } catch {
        continue;
      }
    }
    if (isManifest(m.mediaType) && (!m.platform || platformMatches(platform, m.platform))) {
      return { desc: m, manifest: await readJson<Manifest>(c, m.digest) };
    }
  }
  throw new Error(`no manifest for platform ${JSON.stringify(platform)} in ${root.digest}`);
}

export async function imageConfig(c: Connection, manifest: Manifest): Promise<ImageConfig> {
  return readJson<ImageConfig>(c, manifest.config.digest);
}

export async function hasBlob(c: Connection, digest: string): Promise<boolean> {
  try {
    await contentInfo(c, digest);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

export interface ImageCheck {
  complete: boolean;
  present: number;
  total: number;
  /** Sum of the manifest, config and layer sizes (what ctr's SIZE column shows). */
  size: number;
  platforms: string[];
}

export async function checkImage(c: Connection, root: Descriptor): Promise<ImageCheck> {
  const platforms: string[] = [];
  if (isIndex(root.mediaType) && (await hasBlob(c, root.digest))) {
    const idx = await readJson<Index>(c, root.digest);
    for (const m of idx.manifests)
      if (m.platform)
        platforms.push(
          `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}`,
        );
  }
  let m: { desc: Descriptor; manifest: Manifest };
  try {
    m = await platformManifest(c, root);
  } catch {
    return { complete: false, present: 0, total: 1, size: 0, platforms };
  }
  const parts = [m.desc, m.manifest.config, ...m.manifest.layers];
  let present = 0;
  for (const p of parts) if (await hasBlob(c, p.digest)) present++;
  if (platforms.length === 0) {
    try {
      const cfg = await imageConfig(c, m.manifest);
      platforms.push(`${cfg.os ?? 'linux'}/${cfg.architecture ?? 'unknown'}`);
    } catch {
      // config missing: reported as incomplete
    }
  }
  const size = parts.reduce((n, p) => n + p.size, 0);
  return { complete: present === parts.length, present, total: parts.length, size, platforms };
}
