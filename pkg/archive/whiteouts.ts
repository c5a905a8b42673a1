// OCI whiteouts. `.wh.<name>` deletes <name> from the layers below; `.wh..wh..opq` in a directory
// hides everything the layers below have in it. Written into an overlay upper dir they become what
// overlayfs uses (a 0/0 char device, the trusted.overlay.opaque xattr); applied to a plain tree they
// delete. Per the OCI spec a whiteout never touches what this same layer unpacked. Everything goes
// through directory handles (rootfs.ts).
import { closeSync, lchownSync, openSync, readdirSync } from 'node:fs';
import { S_IFCHR, mknod } from '../sys/mknod.js';
import { lutimesNs } from '../sys/utimes.js';
import { setxattr } from '../sys/xattr.js';
import { invalid, q } from './errors.js';
import { O_DIRECTORY, O_NOFOLLOW, O_PATH, at, lstatAt, removeAt } from './rootfs.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OVERLAY_OPAQUE = 'trusted.overlay.opaque';

/** How whiteouts are applied: as overlayfs records them, or by deleting (a plain directory tree). */
export type WhiteoutMode = 'overlay' | 'delete';

export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

export function join(dirRel: string, name: string): string {
  return dirRel ? `${dirRel}/${name}` : name;
}

/** Paths (relative to the root) this layer has created so far, and the directories above them. */
export class UnpackedPaths {
  private readonly paths = new Set<string>();
  private readonly above = new Set<string>();

  add(rel: string): void {
    this.paths.add(rel);
    for (let p = parentOf(rel); p !== '' && !this.above.has(p); p = parentOf(p)) this.above.add(p);
  }

  has(rel: string): boolean {
    return this.paths.has(rel);
  }

  /** `rel` was unpacked, or something below it was. */
  touched(rel: string): boolean {
    return this.paths.has(rel) || this.above.has(rel);
  }
}

/** The name a `.wh.<name>` entry deletes; refuses names that are not a single path component. */
export function whitedOutName(base: string, entry: string): string {
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..' || name.includes('/')) {
    throw invalid(`tar entry ${q(entry)}: invalid whiteout name ${q(base)}`);
  }
  return name;
}

/** Marks the directory `dirFd` names opaque for overlayfs. */
export function setOpaque(dirFd: number): void {
  setxattr(at(dirFd), OVERLAY_OPAQUE, Buffer.from('y'));
}

/**
 * Applies `.wh.<name>` in the directory `dirFd` (`rel` is the whited-out path, for `unpacked`).
 * `owner` and times are those of the whiteout entry.
 */
export function applyWhiteout(
  mode: WhiteoutMode,
  unpacked: UnpackedPaths,
  dirFd: number,
  name: string,
  rel: string,
  owner: { uid: number; gid: number; atimeNs: bigint; mtimeNs: bigint },
): void {
  if (unpacked.has(rel)) return;
  if (lstatAt(dirFd, name)) removeAt(dirFd, name);
  if (mode === 'delete') return;
  const p = at(dirFd, name);
  mknod(p, S_IFCHR, 0n);
  lchownSync(p, owner.uid, owner.gid);
  lutimesNs(p, owner.atimeNs, owner.mtimeNs);
}

/** Applies `.wh..wh..opq` to the directory `dirFd` (whose path relative to the root is `dirRel`). */
export function applyOpaque(
  mode: WhiteoutMode,
  unpacked: UnpackedPaths,
  dirFd: number,
  dirRel: string,
): void {
  if (mode === 'overlay') return setOpaque(dirFd);
  clearLower(unpacked, dirFd, dirRel);
}

/** Removes every entry under `dirRel` that this layer did not unpack (whatever the entry order). */
function clearLower(unpacked: UnpackedPaths, dirFd: number, dirRel: string): void {
  for (const name of readdirSync(at(dirFd))) {
    const rel = join(dirRel, name);
    if (!unpacked.touched(rel)) {
      removeAt(dirFd, name);
      continue;
    }
    if (!lstatAt(dirFd, name)?.isDirectory()) continue;
    const fd = openSync(at(dirFd, name), O_PATH | O_DIRECTORY | O_NOFOLLOW);
    try {
      clearLower(unpacked, fd, rel);
    } finally {
      closeSync(fd);
    }
  }
}
