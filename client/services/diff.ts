// Typed calls on tsctrd's Diff service: a layer from the difference of two mounts, and a layer
// applied onto a mount.
import type { Descriptor } from '../../api/gen/containerd/types/descriptor.js';
import type { Mount } from '../../api/gen/containerd/types/mount.js';
import type { Connection } from '../connection.js';

export interface DiffOptions {
  /** The layer's media type (an uncompressed tar unless it names a compression). */
  mediaType?: string;
  /** The content ingest ref to write under. */
  ref?: string;
  labels?: Record<string, string>;
}

/** Writes what `upper` adds to `lower` ([] for an empty base) as a layer blob; its descriptor. */
export async function diffMounts(
  c: Connection,
  lower: Mount[],
  upper: Mount[],
  o: DiffOptions = {},
): Promise<Descriptor> {
  const { diff } = await c.call(
    c.diff,
    c.diff.diff,
    { left: lower, right: upper, mediaType: o.mediaType ?? '', ref: o.ref ?? '', labels: o.labels ?? {} },
    { noDeadline: true },
  );
  return diff!;
}

/** Unpacks the layer blob `layer` onto `mounts`; the descriptor of what was applied (its diff ID). */
export async function applyLayer(
  c: Connection,
  layer: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> },
  mounts: Mount[],
): Promise<Descriptor> {
  const { applied } = await c.call(
    c.diff,
    c.diff.apply,
    {
      diff: {
        mediaType: layer.mediaType,
        digest: layer.digest,
        size: layer.size,
        annotations: layer.annotations ?? {},
      },
      mounts,
      payloads: {},
    },
    // A big layer on a busy disk takes as long as it takes (ctr sets no deadline either).
    { noDeadline: true },
  );
  return applied!;
}
