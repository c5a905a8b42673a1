// Missing parent directories. In an overlay upper dir a parent that only exists in a lower layer is
// recreated with that directory's mode, owner, times and (non-trusted) xattrs, so the merged view
// does not change; otherwise it is a plain 0755 root-owned directory.
import { type BigIntStats, chmodSync, lchownSync, lstatSync, mkdirSync } from 'node:fs';
import { lgetxattr, lsetxattr, llistxattr } from './syscalls.js';

export interface DirTimes {
  rel: string;
  atimeNs: bigint;
  mtimeNs: bigint;
}

const OPAQUE = 'trusted.overlay.opaque';

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
      if (lgetxattr(p, OPAQUE)?.toString() === 'y') opaque = true;
    }
    if (opaque) return undefined;
  }
  return undefined;
}

/**
 * Creates the directory `abs` for `rel`, copying metadata from the lower layers when one has it.
 * Returns the times to set once the layer is applied (creating children changes them).
 */
export function makeParent(abs: string, rel: string, lowers: string[]): DirTimes | undefined {
  mkdirSync(abs, 0o755);
  const found = lowers.length > 0 ? findLowerDir(lowers, rel) : undefined;
  if (!found) {
    lchownSync(abs, 0, 0); // not the group of a setgid parent
    chmodSync(abs, 0o755);
    return undefined;
  }
  const st = found.stat;
  lchownSync(abs, Number(st.uid), Number(st.gid));
  for (const name of llistxattr(found.path)) {
    if (name.startsWith('trusted.')) continue;
    const value = lgetxattr(found.path, name);
    if (value) lsetxattr(abs, name, value);
  }
  chmodSync(abs, Number(st.mode) & 0o7777);
  return { rel, atimeNs: st.atimeNs, mtimeNs: st.mtimeNs };
}
