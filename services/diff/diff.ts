// Diff.Diff's engine: an overlay upper dir already is the change set of its snapshot, so the layer is
// that tree written as an OCI tar by pkg/archive's confined packer — overlay whiteouts turned back
// into `.wh.` entries, opaque directories into `.wh..wh..opq` markers. Output is deterministic: names
// sorted per directory, mtimes truncated to seconds, no atimes, xattrs in name order.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import { TreePacker } from '../../pkg/archive/pack.js';
import { RootFs } from '../../pkg/archive/rootfs.js';
import { END_OF_ARCHIVE, tarStream } from '../../pkg/archive/tar-writer.js';

/**
 * The uncompressed OCI layer tar of the overlay upper dir `upper`. `lowers` (the parents, nearest
 * first) are not read: overlayfs records every change, deletions included, in the upper dir.
 */
export function writeDiff(upper: string, lowers: string[]): Readable {
  void lowers;
  return tarStream(layerTar(upper));
}

/** Gzip-compresses a stream (containerd's default level). */
export function compressGzip(stream: Readable): Readable {
  const gz = createGzip();
  return pipeline(stream, gz, (err) => {
    if (err) gz.destroy(err);
  });
}

async function* layerTar(upper: string): AsyncGenerator<Buffer> {
  const rfs = RootFs.open(upper);
  try {
    const packer = new TreePacker({ xattrs: true, overlayWhiteouts: true, onShrink: 'fail' });
    yield* packer.tree(rfs.fd, undefined);
    yield END_OF_ARCHIVE;
  } finally {
    rfs.close();
  }
}
