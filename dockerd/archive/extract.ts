// PUT /containers/{id}/archive: unpack a tar into a directory of a container, never writing outside
// the container's root. The destination is resolved the way moby does (its last component followed
// when it is a symlink, inside the root); the unpacking itself is pkg/archive's extractor in its
// docker cp mode: symlinks on the way followed relative to the container's root, device nodes and
// names leaving the destination refused, owners optionally overridden.
import { openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { invalid, notFound } from '../../pkg/archive/errors.js';
import { extract } from '../../pkg/archive/extract.js';
import {
  type DirRef,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_PATH,
  RootFs,
  at,
  closeQuietly,
  fstatBig,
  lstatAt,
  walk,
} from '../../pkg/archive/rootfs.js';
import { TarReader } from '../../pkg/archive/tar-reader.js';
import { openUpload } from '../../pkg/archive/upload.js';
import { parseContainerPath } from './container-path.js';
import { shownPath } from './stat.js';

export interface ExtractOptions {
  /** Refuse to replace an existing directory with a non-directory or the reverse (moby's
   * noOverwriteDirNonDir query parameter; `docker cp` sends it). */
  noOverwriteDirNonDir?: boolean;
  /** Owner for every entry instead of the tar's (moby's copyUIDGID, resolved by the caller). */
  chown?: { uid: number; gid: number };
}

/**
 * Extracts the tar stream `tar` (plain or gzip) into the container directory `dest` under `root`.
 * `dest` is resolved following symlinks, its last component included (moby's EvalSymlinks), inside
 * the root. Errors:
 * - `dest` missing: `code: 'ENOENT'` (kind NotFound); answer 404 with couldNotFindMessage(dest, id).
 * - `dest` not a directory: `code: 'EINVAL'`, "extraction point is not a directory" (400).
 * - refused entries and noOverwriteDirNonDir conflicts: `code: 'EINVAL'` (400).
 * - a path under a non-directory ("file/x"): `code: 'ENOTDIR'`.
 * - I/O and other failures: kind Unknown, no `code` (500).
 * Entries before a failing one stay extracted. `tar` is consumed up to the failure and then left
 * flowing (its remaining data is discarded) so an HTTP server can still answer the request.
 */
export async function extractInto(
  root: string,
  dest: string,
  tar: Readable,
  opts: ExtractOptions = {},
): Promise<void> {
  const cp = parseContainerPath(dest);
  const rfs = RootFs.open(root);
  let target: DirRef | undefined;
  const upload = openUpload(tar);
  const reader = new TarReader(upload.tar, () => undefined);
  try {
    target = openDestination(rfs, cp.comps, shownPath(dest));
    await extract(rfs, target, reader, {
      symlinks: 'follow',
      devices: false,
      xattrs: false,
      noOverwriteDirNonDir: opts.noOverwriteDirNonDir,
      chown: opts.chown,
      within: 'the extraction directory',
    });
    await reader.drain();
  } finally {
    upload.detach();
    await reader.close().catch(() => undefined);
    if (target) closeQuietly(target.fd);
    rfs.close();
  }
}

/** The destination directory, its last component followed when it is a symlink. */
function openDestination(rfs: RootFs, comps: string[], shown: string): DirRef {
  const w = walk(rfs, rfs.top, comps, { last: 'follow' });
  try {
    const st = w.name ? lstatAt(w.fd, w.name) : fstatBig(w.fd);
    if (!st) throw notFound(`lstat ${shown}: no such file or directory`);
    if (!st.isDirectory()) throw invalid('extraction point is not a directory');
    if (!w.name) return { fd: rfs.dup(w.fd), comps: w.comps };
    return { fd: openSync(at(w.fd, w.name), O_PATH | O_DIRECTORY | O_NOFOLLOW), comps: w.comps };
  } finally {
    closeQuietly(w.fd);
  }
}
