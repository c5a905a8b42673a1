// Diff.Apply's engine: decompress a layer blob, hash the uncompressed tar (the diffID) and unpack it
// into a snapshot directory with pkg/archive's extractor in its layer mode: confined to that
// directory, never writing through a symlink, OCI whiteouts turned into overlay whiteouts (or
// deletions in a plain tree), missing parents recreated from the lower layers.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { invalidArgument } from '../../api/errdefs.js';
import { extract } from '../../pkg/archive/extract.js';
import { makeLayerParent } from '../../pkg/archive/layer-parents.js';
import { RootFs, fstatBig } from '../../pkg/archive/rootfs.js';
import { TarReader } from '../../pkg/archive/tar-reader.js';
import { decompressStream } from './decompress.js';

export interface ApplyTarget {
  /** overlay: the snapshot's upper dir; naive: the plain directory tree. */
  root: string;
  /** Parent layers' directories, nearest first (overlay only). */
  lowers: string[];
  mode: 'overlay' | 'naive';
}

export interface Applied {
  /** sha256 of the uncompressed tar, "sha256:<hex>". */
  diffId: string;
  /** Uncompressed bytes read, trailing padding included. */
  size: number;
}

/**
 * Unpacks a layer into `target.root`. Rejects with invalidArgument for entries that would escape
 * the root, notImplemented for media types that are not layers. On failure the root is left
 * half-applied: the caller discards the snapshot.
 */
export async function applyLayer(
  blob: Readable,
  mediaType: string,
  target: ApplyTarget,
  signal?: AbortSignal,
): Promise<Applied> {
  let tar: Readable;
  try {
    tar = decompressStream(blob, mediaType);
  } catch (e) {
    blob.destroy();
    throw e;
  }
  const hash = createHash('sha256');
  let size = 0;
  const reader = new TarReader(tar, (chunk) => {
    hash.update(chunk);
    size += chunk.length;
  });
  let rfs: RootFs | undefined;
  try {
    rfs = openLayerRoot(target.root);
    const lowers = target.mode === 'overlay' ? target.lowers : [];
    await extract(rfs, rfs.top, reader, {
      symlinks: 'refuse',
      whiteouts: target.mode === 'overlay' ? 'overlay' : 'delete',
      devices: true,
      xattrs: true,
      impliedDir: (dirFd, name, rel) => makeLayerParent(dirFd, name, rel, lowers),
      within: 'the layer root',
      signal,
    });
    await reader.drain();
  } catch (e) {
    await reader.close().catch(() => undefined);
    tar.destroy();
    blob.destroy();
    throw e;
  } finally {
    rfs?.close();
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}

function openLayerRoot(root: string): RootFs {
  const rfs = RootFs.open(root);
  if (!fstatBig(rfs.fd).isDirectory()) {
    rfs.close();
    throw invalidArgument(`layer root ${JSON.stringify(root)} is not a directory`);
  }
  return rfs;
}
