// GET /containers/{id}/archive: a tar of a container path, laid out as moby's archive.TarWithOptions
// with TarResourceRebaseOpts does it. For a directory the entries are "<base>/", "<base>/…" (base "."
// for "/dir/." and "" for "/", giving "./…" and "/…"); for anything else one entry "<base>". The
// tree itself is written by pkg/archive's confined packer (nothing followed, hard links kept, sockets
// left out), so a container changing its files meanwhile cannot make us read outside its root.
import { openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { TreePacker } from '../../pkg/archive/pack.js';
import { O_DIRECTORY, O_NOFOLLOW, O_PATH, RootFs, at, closeQuietly } from '../../pkg/archive/rootfs.js';
import { END_OF_ARCHIVE, tarStream } from '../../pkg/archive/tar-writer.js';
import { parseContainerPath } from './container-path.js';
import { locate, shownPath } from './stat.js';

export interface PackOptions {
  /** For a directory: only what is inside it, named relative to it ("bin/", "bin/sh"), without the
   * directory's own entry — the layout of `docker export` (moby's archive.Tar of the rootfs). */
  contentsOnly?: boolean;
  /** Directories on these devices are archived empty (see pkg/archive's PackOptions). */
  skipDevices?: ReadonlySet<bigint>;
}

/**
 * A tar stream of the container path `p` under `root` (uncompressed). The final component is not
 * followed if it is a symlink (the tar holds the link), unless `p` ends in "/" or "/." (then the
 * link's target is archived under the link's name). Call statPath first to answer 404 / send the stat
 * header: problems found when the stream starts (a missing path, ENOENT/ENOTDIR-coded as statPath's)
 * are reported as an 'error' on the stream.
 */
export function packPath(root: string, p: string, opts: PackOptions = {}): Readable {
  return tarStream(packEntries(root, p, opts.contentsOnly ?? false, opts.skipDevices), 256 * 1024);
}

async function* packEntries(
  root: string,
  p: string,
  contentsOnly: boolean,
  skipDevices: ReadonlySet<bigint> | undefined,
): AsyncGenerator<Buffer> {
  const rfs = RootFs.open(root);
  try {
    const cp = parseContainerPath(p);
    const obj = locate(rfs, cp, shownPath(p));
    const packer = new TreePacker({ onShrink: 'pad', ...(skipDevices ? { skipDevices } : {}) });
    try {
      if (!obj.st.isDirectory()) {
        yield* packer.entry(obj.fd, obj.name, obj.st, cp.base);
      } else {
        // The directory itself: a handle on it, then its tree.
        const dirFd = obj.name ? openSync(at(obj.fd, obj.name), O_PATH | O_DIRECTORY | O_NOFOLLOW) : obj.fd;
        try {
          if (contentsOnly) {
            yield* packer.tree(dirFd, undefined);
          } else {
            // moby renames the walk's "." to the base: "tmp/…", "./…" for "/tmp/.", "/…" for "/".
            const prefix = cp.base === '/' ? '' : cp.base;
            yield* packer.directory(dirFd, undefined, prefix);
            yield* packer.tree(dirFd, prefix);
          }
        } finally {
          if (dirFd !== obj.fd) closeQuietly(dirFd);
        }
      }
    } finally {
      closeQuietly(obj.fd);
    }
    yield END_OF_ARCHIVE;
  } finally {
    rfs.close();
  }
}
