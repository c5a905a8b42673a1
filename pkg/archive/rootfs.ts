// Confined access to a root filesystem (a container's, or a snapshot being unpacked) from the host.
//
// The root may be /proc/<pid>/root of a running container, whose processes can rename files and swap
// directories for symlinks while we work (the race behind CVE-2018-15664 in `docker cp`). So nothing
// here hands the kernel a multi-component path inside the root. Every step goes through an open
// directory handle: `/proc/self/fd/<dirfd>/<one name>`, where the kernel jumps straight to the
// directory the handle refers to and then looks up a single name. Symlinks are read and
// reinterpreted by us relative to the root (absolute targets restart at the root, `..` never climbs
// above it), directories are entered with O_NOFOLLOW|O_DIRECTORY, and `..` is never asked of the
// kernel: we go back to the root and walk down the parent's components again. Whatever a container
// does concurrently, every handle we hold names something inside the root.
import {
  type BigIntStats,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmdirSync,
  unlinkSync,
} from 'node:fs';
import { posix, resolve as resolvePath } from 'node:path';
import { TsctrError } from '../../api/errdefs.js';
import { errnoCode, invalid, notADirectory, notFound, tooManyLinks } from './errors.js';

/** Linux O_PATH: a handle that only names a file (no read or write access, no side effects on open). */
export const O_PATH = 0o10000000;
export const { O_DIRECTORY, O_NOFOLLOW } = constants;

/** The most symlinks (and retries after concurrent changes) one resolution may go through. */
export const MAX_SYMLINKS = 255;

/** A path that makes the kernel look up `name` (a single component) in the directory `fd` names. */
export function at(fd: number, name?: string): string {
  if (name === undefined || name === '') return `/proc/self/fd/${fd}`;
  if (name.includes('/') || name === '.' || name === '..') throw new Error(`not a single name: ${name}`);
  return `/proc/self/fd/${fd}/${name}`;
}

/** lstat of `name` in directory `fd` (the name itself is never followed); undefined if absent. */
export function lstatAt(fd: number, name: string): BigIntStats | undefined {
  try {
    return lstatSync(at(fd, name), { bigint: true, throwIfNoEntry: false });
  } catch (err) {
    if (errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed or never valid: nothing to release
  }
}

/** A directory handle plus its path in the container (components from the root), both borrowed. */
export interface DirRef {
  fd: number;
  comps: readonly string[];
}

export class RootFs {
  readonly top: DirRef;

  private constructor(
    /** The root as given, made absolute (used only to word host paths, never to access files). */
    readonly path: string,
    readonly fd: number,
  ) {
    this.top = { fd, comps: [] };
  }

  /** Opens the root directory (following it if it is a symlink or /proc/<pid>/root). */
  static open(root: string): RootFs {
    const abs = resolvePath(root);
    try {
      return new RootFs(abs, openSync(abs, O_PATH | O_DIRECTORY));
    } catch (err) {
      // Not the client's path: keep its errno code from reading as "file not found in container".
      const wrapped = new TsctrError(
        'Unknown',
        `container root filesystem ${abs}: ${(err as Error).message}`,
      );
      wrapped.cause = err;
      throw wrapped;
    }
  }

  close(): void {
    closeQuietly(this.fd);
  }

  /** A new handle on the directory `fd` names (for O_PATH directory handles). */
  dup(fd: number): number {
    return openSync(at(fd), O_PATH | O_DIRECTORY);
  }

  /** The host path of a container path (for callers of the string API; racy by nature). */
  hostPath(comps: readonly string[]): string {
    return comps.length === 0 ? this.path : posix.join(this.path, ...comps);
  }
}

export function containerPathOf(comps: readonly string[]): string {
  return `/${comps.join('/')}`;
}

/**
 * How the last component is treated: 'nofollow' returns it as is (it may be a symlink or missing),
 * 'follow' resolves it if it is a symlink (the result may be missing), 'enter' requires a directory
 * (created with `mkdir` if missing) and returns a handle on it.
 */
export type LastMode = 'nofollow' | 'follow' | 'enter';

export interface WalkOptions {
  last: LastMode;
  /** Creates the missing directory `name` in `dirFd` (false if it appeared meanwhile); enables
   * creating missing intermediate directories. `comps` is its path from the root. */
  mkdir?: (dirFd: number, name: string, comps: string[]) => boolean;
  /** Stop at a missing or non-directory intermediate component and append the rest lexically (as
   * securejoin does) instead of throwing. */
  lenient?: boolean;
  /** Refuse (instead of following inside the root) a symlink met where a directory is needed: the
   * rule for layers, which must not write through links. Throws `onSymlink(path)`'s error. */
  onSymlink?: (comps: string[]) => Error;
}

export interface Walked {
  /** Owned by the caller: the directory holding `name`, or the object itself when `name` is ''. */
  fd: number;
  name: string;
  /** The object's path in the container, as components. */
  comps: string[];
  /** Lenient walks: `comps` ends with components that do not exist. */
  incomplete?: boolean;
}

/**
 * Resolves `rel` (components; '' and '.' are ignored, '..' allowed) starting at `from`, confined to
 * the root. Throws ENOENT/ENOTDIR-coded errors for missing or non-directory intermediate components
 * (unless lenient) and ELOOP after MAX_SYMLINKS symlinks.
 */
export function walk(rfs: RootFs, from: DirRef, rel: readonly string[], opts: WalkOptions): Walked {
  let cur = rfs.dup(from.fd);
  let comps = [...from.comps];
  const queue = rel.filter((c) => c !== '' && c !== '.');
  let budget = MAX_SYMLINKS;
  const spend = (): void => {
    if (--budget < 0) {
      throw tooManyLinks(`${containerPathOf([...comps, ...queue])}: too many levels of symbolic links`);
    }
  };
  const restartAtRoot = (): void => {
    const next = rfs.dup(rfs.fd);
    closeSync(cur);
    cur = next;
    comps = [];
  };
  let handedOver = false;
  const result = (name: string): Walked => {
    handedOver = true;
    return { fd: cur, name, comps: name ? [...comps, name] : comps };
  };
  try {
    while (queue.length > 0) {
      const c = queue.shift() as string;
      if (c.includes('\0')) throw invalid('path contains a NUL byte');
      if (c === '..') {
        const parent = comps.slice(0, -1);
        restartAtRoot();
        queue.unshift(...parent);
        continue;
      }
      const isLast = queue.length === 0;
      if (isLast && opts.last === 'nofollow') return result(c);
      const st = lstatAt(cur, c);
      if (!st) {
        if (isLast && opts.last === 'follow') return result(c);
        if (opts.mkdir) {
          if (!opts.mkdir(cur, c, [...comps, c])) spend(); // someone else made it meanwhile: a retry
          queue.unshift(c);
          continue;
        }
        if (opts.lenient) return lexicalRest(c);
        throw notFound(`${containerPathOf([...comps, c])}: no such file or directory`);
      }
      if (st.isSymbolicLink()) {
        if (opts.onSymlink && !(isLast && opts.last === 'nofollow')) throw opts.onSymlink([...comps, c]);
        spend();
        let target: string;
        try {
          target = readlinkSync(at(cur, c));
        } catch (err) {
          // Replaced between lstat and readlink: look again.
          if (!['ENOENT', 'EINVAL'].includes(errnoCode(err) ?? '')) throw err;
          queue.unshift(c);
          continue;
        }
        if (target.startsWith('/')) restartAtRoot();
        queue.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
        continue;
      }
      if (isLast && opts.last === 'follow') return result(c);
      if (!st.isDirectory()) {
        if (opts.lenient) return lexicalRest(c);
        throw notADirectory(`${containerPathOf([...comps, c])}: not a directory`);
      }
      let next: number;
      try {
        next = openSync(at(cur, c), O_PATH | O_DIRECTORY | O_NOFOLLOW);
      } catch (err) {
        // Replaced between lstat and open: look again.
        if (['ENOENT', 'ENOTDIR', 'ELOOP'].includes(errnoCode(err) ?? '')) {
          spend();
          queue.unshift(c);
          continue;
        }
        throw err;
      }
      closeSync(cur);
      cur = next;
      comps.push(c);
    }
    return result('');
  } finally {
    if (!handedOver) closeQuietly(cur);
  }

  function lexicalRest(c: string): Walked {
    const out = [...comps];
    for (const x of [c, ...queue]) {
      if (x === '..') out.pop();
      else out.push(x);
    }
    handedOver = true;
    return { fd: cur, name: '', comps: out, incomplete: true };
  }
}

/** rm -rf of `name` in directory `dirFd`, confined: symlinks are unlinked, never followed. Names are
 * handled as bytes, so entries whose names are not UTF-8 are removed too. */
export function removeAt(dirFd: number, name: string | Buffer): void {
  const p = atBytes(dirFd, name);
  let st: BigIntStats | undefined;
  try {
    st = lstatSync(p, { bigint: true, throwIfNoEntry: false });
  } catch (err) {
    if (errnoCode(err) === 'ENOTDIR') return;
    throw err;
  }
  if (!st) return;
  if (!st.isDirectory()) {
    unlinkSync(p);
    return;
  }
  const fd = openSync(p, O_PATH | O_DIRECTORY | O_NOFOLLOW);
  try {
    for (const child of readdirSync(at(fd), { encoding: 'buffer' })) removeAt(fd, child);
  } finally {
    closeSync(fd);
  }
  rmdirSync(p);
}

function atBytes(fd: number, name: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${at(fd)}/`), typeof name === 'string' ? Buffer.from(name) : name]);
}

/** fstat of a handle, bigint fields. */
export function fstatBig(fd: number): BigIntStats {
  return fstatSync(fd, { bigint: true });
}
