// Pull: resolve a reference, fetch the image's blobs into the content store (concurrently, resuming
// interrupted ingests), record the image, and unpack each layer as soon as it and the layer below it
// are in, while later layers still download. Everything happens under one lease.
import type { Readable } from 'node:stream';
import type { Connection } from '../connection.js';
import { writeBlob } from '../content.js';
import { withLease } from '../leases.js';
import { DEFAULT_SNAPSHOTTER } from '../snapshotter.js';
import { setContentLabels } from '../services/content.js';
import { isIndex, isManifest } from '../remotes/media.js';
import { type PlatformLike, defaultPlatform, platformMatches } from '../remotes/platform.js';
import { chainIds } from './chain.js';
import type { Descriptor, ImageConfig, Index, Manifest } from './oci.js';
import { unpackChain } from './unpack.js';
import { dropOrphanLeases, ownerLabels } from './owned-leases.js';
import { readJson } from './walk.js';

/** What pull needs from a registry. */
export interface Fetcher {
  /** The registry host (for the distribution-source label) and repository path. */
  host: string;
  repository: string;
  fetch(desc: Descriptor, offset: number): Promise<Readable>;
}

export type PullStatus =
  'waiting' | 'downloading' | 'exists' | 'downloaded' | 'unpacking' | 'unpacked' | 'failed';

export interface PullProgress {
  digest: string;
  kind: 'index' | 'manifest' | 'config' | 'layer';
  status: PullStatus;
  offset: number;
  total: number;
}

export interface PullOptions {
  snapshotter?: string;
  platform?: PlatformLike;
  unpack?: boolean;
  labels?: Record<string, string>;
  concurrency?: number;
  progress?: (p: PullProgress) => void;
}

export interface PullResult {
  name: string;
  target: Descriptor;
  manifest: Descriptor;
  chainId: string;
}

/** Runs tasks with at most `n` at a time, in submission order. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  return async (fn) => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

async function setLabels(c: Connection, digest: string, labels: Record<string, string>): Promise<void> {
  if (Object.keys(labels).length === 0) return;
  await setContentLabels(c, digest, labels);
}

export async function pull(
  conn: Connection,
  remote: Fetcher,
  name: string,
  root: Descriptor,
  opts: PullOptions = {},
): Promise<PullResult> {
  const snapshotter = opts.snapshotter ?? DEFAULT_SNAPSHOTTER;
  const platform = opts.platform ?? defaultPlatform();
  const report = opts.progress ?? (() => undefined);
  const limit = limiter(opts.concurrency ?? 3);
  const sourceLabel = {
    [`containerd.io/distribution.source.${remote.host.replace(/:\d+$/, '')}`]: remote.repository,
  };

  await dropOrphanLeases(conn);
  const leaseOpts = { expireMs: 24 * 3600 * 1000, labels: ownerLabels() };
  return withLease(
    conn,
    async (c) => {
      const fetchBlob = async (d: Descriptor, kind: PullProgress['kind']): Promise<void> => {
        const ev = (status: PullStatus, offset = 0) =>
          report({ digest: d.digest, kind, status, offset, total: d.size });
        ev('waiting');
        await limit(async () => {
          const res = await writeBlob(
            c,
            `${kind}-${d.digest}`,
            (offset) => {
              ev('downloading', offset);
              return remote.fetch(d, offset);
            },
            {
              total: d.size,
              expected: d.digest,
              progress: (o) => ev('downloading', o),
            },
          );
          ev(res.existed ? 'exists' : 'downloaded', d.size);
        });
        await setLabels(c, d.digest, sourceLabel);
      };

      // The root document, then the platform's manifest.
      await fetchBlob(root, isIndex(root.mediaType) ? 'index' : 'manifest');
      let manifestDesc = root;
      if (isIndex(root.mediaType)) {
        const index = await readJson<Index>(c, root.digest);
        const chosen = index.manifests.find(
          (m) => isManifest(m.mediaType) && (!m.platform || platformMatches(platform, m.platform)),
        );
        if (!chosen) throw new Error(`${name}: no manifest for platform ${JSON.stringify(platform)}`);
        await fetchBlob(chosen, 'manifest');
        await setLabels(c, root.digest, { 'containerd.io/gc.ref.content.m.0': chosen.digest });
        manifestDesc = chosen;
      } else if (!isManifest(root.mediaType)) {
        throw new Error(`${name}: unsupported media type ${root.mediaType}`);
      }
      const manifest = await readJson<Manifest>(c, manifestDesc.digest);
      const manifestLabels: Record<string, string> = {
        'containerd.io/gc.ref.content.config': manifest.config.digest,
      };
      manifest.layers.forEach((l, i) => (manifestLabels[`containerd.io/gc.ref.content.l.${i}`] = l.digest));

      // Config first (it holds the diff IDs), layers in parallel behind it.
      const configDone = fetchBlob(manifest.config, 'config');
      const layersDone = manifest.layers.map((l) => fetchBlob(l, 'layer'));
      layersDone.forEach((p) => p.catch(() => undefined));
      await configDone;
      await setLabels(c, manifestDesc.digest, manifestLabels);
      const config = await readJson<ImageConfig>(c, manifest.config.digest);
      const diffIds = config.rootfs?.diff_ids ?? [];
      if (diffIds.length !== manifest.layers.length) {
        throw new Error(
          `${name}: config has ${diffIds.length} diff ids for ${manifest.layers.length} layers`,
        );
      }
      let top = chainIds(diffIds).pop() ?? '';
      if (opts.unpack !== false) {
        top = await unpackChain(c, snapshotter, manifest.layers, diffIds, manifest.config.digest, {
          ready: (i) => layersDone[i],
          before: (d) =>
            report({ digest: d.digest, kind: 'layer', status: 'unpacking', offset: 0, total: d.size }),
          after: (d) =>
            report({ digest: d.digest, kind: 'layer', status: 'unpacked', offset: d.size, total: d.size }),
        });
      } else {
        await Promise.all(layersDone);
      }

      await c.image(name).put({ target: root, labels: opts.labels ?? {} });
      return { name, target: root, manifest: manifestDesc, chainId: top };
    },
    leaseOpts,
  );
}

export type { ImageConfig };
