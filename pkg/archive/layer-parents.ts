// Missing parent directories of a layer. In an overlay upper dir a parent that only exists in a lower
// layer is recreated with that directory's mode, owner, times and (non-trusted) xattrs, so the merged
// view does not change; otherwise it is a plain 0755 root-owned directory. Lowers are committed
// snapshots nobody writes to: they are read by path.
import { type BigIntStats, chmodSync, closeSync, lchownSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { lgetxattr, llistxattr, lsetxattr } from '../sys/xattr.js';
import { O_DIRECTORY, O_NOFOLLOW, O_PATH, at } from './rootfs.js';
import { OVERLAY_OPAQUE } from './whiteouts.js';

export interface DirTimes {
  atimeNs: bigint;
  mtimeNs: bigint;
}

function lstatOpt(p: string): BigIntStats | undefined {
  try {
    return lstatSync(p, { bigint: true, throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * The directory the merged overlay view shows at `rel`, looked up through `lowers` (nearest first)
 * the way overlayfs does: a whiteout or a non-directory in a nearer layer hides everything below
 * it, and so does an opaque directory. Symlinks in lowers are never followed.
 */
export function findLowerDir(lowers: string[], rel: string): { path: string; stat: BigIntStats } | undefined {
  const comps = rel.split('/');
  for (const lower of lowers) {
    let p = lower;
    let opaque = false;
    for (let i = 0; i < comps.length; i++) {
      p = `${p}/${comps[i]}`;
      const st = lstatOpt(p);
      if (!st) break;
      if (!st.isDirectory()) return undefined; // deleted or replaced in this layer: hides the rest
      if (i === comps.length - 1) return { path: p, stat: st };
      if (lgetxattr(p, OVERLAY_OPAQUE)?.toString() === 'y') opaque = true;
    }
    if (opaque) return undefined;
  }
  return undefined;
}

/**
 * Creates the directory `name` in `dirFd` (at `rel` from the layer root), copying metadata from the
 * lower layers when one has it. Returns the times to set once the layer is applied (creating
 * children changes them), or undefined.
 */
export function makeLayerParent(
  dirFd: number,
  name: string,
  rel: string,
  lowers: string[],
): DirTimes | undefined {
  mkdirSync(at(dirFd, name), 0o755);
  const p = at(dirFd, name);
  const found = lowers.length > 0 ? findLowerDir(lowers, rel) : undefined;
  if (!found) {
    lchownSync(p, 0, 0); // not the group of a setgid parent
    chmodDir(p, 0o755);
    return undefined;
  }
  const st = found.stat;
  lchownSync(p, Number(st.uid), Number(st.gid));
  for (const x of llistxattr(found.path)) {
    if (x.startsWith('trusted.')) continue;
    const value = lgetxattr(found.path, x);
    if (value) lsetxattr(p, x, value);
  }
  chmodDir(p, Number(st.mode) & 0o7777);
  return { atimeNs: st.atimeNs, mtimeNs: st.mtimeNs };
}

/** chmod through a handle on the directory (chmod itself would follow a symlink). */
export function chmodDir(p: string, mode: number): void {
  const fd = openSync(p, O_PATH | O_DIRECTORY | O_NOFOLLOW);
  try {
    chmodSync(at(fd), mode);
  } finally {
    closeSync(fd);
  }
}
