// Keeps a layer inside its root. Tar names are cleaned lexically (a `..` that would leave the root is
// refused, absolute names are taken relative to the root) and every parent directory of a path we
// write is checked with lstat to be a real directory — never a symlink — before anything is created
// under it. Nothing else writes to the root while a layer is applied, so a directory once verified
// stays one until we remove it ourselves; `remove` is the only way paths disappear and it forgets
// every verified directory under the removed path. Calls are synchronous on purpose: a layer is tens
// of thousands of tiny syscalls, and a thread-pool round trip for each costs several times the work.
import { type BigIntStats, lstatSync, promises as fs, rmSync } from 'node:fs';
import { invalidArgument } from '../../api/errdefs.js';

const q = JSON.stringify;

/**
 * The path of a tar name relative to the layer root, '' for the root itself. `what` names the
 * field in error messages ("entry", "hard link target").
 */
export function cleanName(name: string, entry: string, what = 'entry'): string {
  if (name.includes('\0')) throw invalidArgument(`tar entry ${q(entry)}: NUL byte in ${what} name`);
  const parts: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) {
        throw invalidArgument(`tar entry ${q(entry)}: ${what} ${q(name)} climbs out of the layer root`);
      }
      parts.pop();
    } else {
      parts.push(c);
    }
  }
  return parts.join('/');
}

export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

export function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

export function join(dirRel: string, name: string): string {
  return dirRel ? `${dirRel}/${name}` : name;
}

export class RootGuard {
  private readonly dirs = new Set<string>(['']);

  private constructor(readonly root: string) {}

  /** `root` must be an existing directory; symlinks above it are resolved once, here. */
  static async open(root: string): Promise<RootGuard> {
    const real = await fs.realpath(root);
    const st = await fs.lstat(real);
    if (!st.isDirectory()) throw invalidArgument(`layer root ${q(root)} is not a directory`);
    return new RootGuard(real);
  }

  abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  /**
   * Verifies that every parent of `rel` is a real directory inside the root, creating missing ones
   * with `createDir` (called with each missing directory, whose own parent is verified) when given.
   * Refuses (invalidArgument, naming `entry`) symlinks, non-directories and, without `createDir`,
   * missing directories.
   */
  parents(rel: string, entry: string, createDir?: (rel: string) => void): void {
    const comps = rel.split('/');
    comps.pop();
    let cur = '';
    for (const c of comps) {
      cur = join(cur, c);
      if (this.dirs.has(cur)) continue;
      const st = this.lstat(cur);
      if (!st) {
        if (!createDir) {
          throw invalidArgument(`tar entry ${q(entry)}: ${q(cur)} does not exist in the layer root`);
        }
        createDir(cur);
        this.dirs.add(cur);
        continue;
      }
      if (st.isSymbolicLink()) {
        throw invalidArgument(`tar entry ${q(entry)}: refusing to write through symlink ${q(cur)}`);
      }
      if (!st.isDirectory())
        throw invalidArgument(`tar entry ${q(entry)}: parent ${q(cur)} is not a directory`);
      this.dirs.add(cur);
    }
  }

  /** lstat of `rel` (parents must have been verified); undefined when it does not exist. */
  lstat(rel: string): BigIntStats | undefined {
    return lstatSync(this.abs(rel), { bigint: true, throwIfNoEntry: false });
  }

  /** lstat of `rel` if all its parents are still real directories; undefined otherwise. */
  lstatIfConfined(rel: string): BigIntStats | undefined {
    try {
      this.parents(rel, rel);
    } catch {
      return undefined;
    }
    return this.lstat(rel);
  }

  /** rm -rf of `rel` (never the root; symlinks are removed, not followed). */
  remove(rel: string): void {
    if (rel === '') throw invalidArgument('refusing to remove the layer root');
    rmSync(this.abs(rel), { recursive: true, force: true });
    for (const d of this.dirs) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
  }
}
