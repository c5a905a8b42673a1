// securejoin for a container root: the host path a container path names, as the container sees it.
import { closeQuietly, RootFs, walk } from './rootfs.js';

export interface ResolveOptions {
  /** Resolve the last component too when it is a symlink (default true, as securejoin does). */
  followLast?: boolean;
}

/**
 * The host path under `root` that the container path `p` refers to. Components are walked one by one
 * with lstat; symlinks are reinterpreted relative to `root` (absolute targets start over at `root`,
 * `..` stops at `root`), at most 255 of them (then an ELOOP-coded error). Components that do not exist,
 * or that sit under a non-directory, are appended lexically, so the result may not exist.
 *
 * The result is a string, so using it is racy if the container changes its files in between; the
 * archive functions of this module do not go through it (they keep directory handles instead).
 */
export async function resolveInRoot(root: string, p: string, opts: ResolveOptions = {}): Promise<string> {
  const rfs = RootFs.open(root);
  try {
    const w = walk(rfs, rfs.top, p.split('/'), {
      last: (opts.followLast ?? true) ? 'follow' : 'nofollow',
      lenient: true,
    });
    closeQuietly(w.fd);
    return rfs.hostPath(w.comps);
  } finally {
    rfs.close();
  }
}
