// Unpacking a tar into a directory, never writing outside a root: the one extractor of the project,
// for image layers (the Diff service) and for `docker cp` / import into a container.
//
// Entry names are cleaned lexically and taken relative to the destination (a leading "/" is dropped,
// a ".." that would leave it is refused). The parent directory of each entry is reached through
// rootfs.ts's confined walk, one handle per step; a symlink on the way is either refused (layers: a
// layer never writes through a link) or followed as the container would see it, relative to its root
// (docker cp). The entry itself is created by its single name inside that directory handle with calls
// that never follow a final symlink, after removing whatever was there (confined rm -rf), and its
// metadata is applied through a handle on what was created (entry-writer.ts). Hostile entries are
// refused with an InvalidArgument (code EINVAL) error rather than skipped.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { TsctrError } from '../../api/errdefs.js';
import { utimesNs } from '../sys/utimes.js';
import { type EntryMeta, entryTimes, writeEntry } from './entry-writer.js';
import { ArchiveError, errnoCode, invalid, q } from './errors.js';
import { type DirTimes, chmodDir } from './layer-parents.js';
import {
  type DirRef,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_PATH,
  RootFs,
  type Walked,
  at,
  closeQuietly,
  containerPathOf,
  lstatAt,
  removeAt,
  walk,
} from './rootfs.js';
import type { TarHeader } from './tar-format.js';
import type { TarEntry, TarReader } from './tar-reader.js';
import {
  OPAQUE_MARKER,
  UnpackedPaths,
  WHITEOUT_PREFIX,
  type WhiteoutMode,
  applyOpaque,
  applyWhiteout,
  setOpaque,
  whitedOutName,
} from './whiteouts.js';

export interface ExtractOptions {
  /** A symlink met on the way to an entry: 'refuse' it (layers) or 'follow' it inside the root. */
  symlinks: 'refuse' | 'follow';
  /** Apply OCI whiteouts ('overlay': as overlayfs records them; 'delete': remove), or treat `.wh.`
   * names as plain files (undefined). */
  whiteouts?: WhiteoutMode;
  /** Create character and block devices (layers), or refuse them (a node made by the host's root
   * could give a container a host device it was not granted). */
  devices: boolean;
  /** Restore extended attributes from PAX records (never trusted.*). */
  xattrs: boolean;
  /** Refuse to replace an existing directory with a non-directory or the reverse (moby's
   * noOverwriteDirNonDir; `docker cp` sends it). */
  noOverwriteDirNonDir?: boolean;
  /** Owner for every entry instead of the tar's (moby's copyUIDGID, resolved by the caller). */
  chown?: { uid: number; gid: number };
  /** Creates a directory the tar needs but does not list, `name` in `dirFd` at `rel` (components
   * from the root); returns the times to restore at the end. Default: root-owned, mode 0755. */
  impliedDir?: (dirFd: number, name: string, rel: string) => DirTimes | undefined;
  /** The destination as named in messages ("the layer root", "the extraction directory"). */
  within: string;
  /** Stops between entries once aborted (the caller went away), rejecting with its reason. */
  signal?: AbortSignal;
}

/** Parent directory handles kept between entries. */
const CACHE_SIZE = 64;

/**
 * Extracts every entry `reader` yields into `dest` (a directory handle under `rfs`). Entries before
 * a failing one stay extracted; the caller closes `reader`'s source on failure.
 */
export async function extract(
  rfs: RootFs,
  dest: DirRef,
  reader: TarReader,
  opts: ExtractOptions,
): Promise<void> {
  const ex = new Extractor(rfs, dest, opts);
  try {
    let lastYield = performance.now();
    for await (const entry of reader.entries()) {
      opts.signal?.throwIfAborted();
      await ex.entry(entry);
      // Entries are applied with synchronous syscalls: let the process's other work run now and then.
      if (performance.now() - lastYield > 20) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
    ex.restoreDirTimes();
  } finally {
    ex.close();
  }
}

class Extractor {
  private readonly cache = new Map<string, DirRef>();
  /** Directory times are set last: creating entries in a directory changes its mtime. */
  private readonly dirTimes: { rel: string[]; times: DirTimes }[] = [];
  private readonly unpacked = new UnpackedPaths();
  /**
   * Directories this extraction created (relative paths): nothing is in them but what it unpacked
   * there, so a name it has not unpacked needs no lstat (30,000 files = 30,000 syscalls and BigInt
   * stats less). Layers only: there nobody else writes into the snapshot being applied.
   */
  private readonly fresh = new Set<string>();

  constructor(
    private readonly rfs: RootFs,
    private readonly dest: DirRef,
    private readonly opts: ExtractOptions,
  ) {}

  async entry(e: TarEntry): Promise<void> {
    try {
      await this.apply(e.header, e.body);
    } catch (err) {
      if (err instanceof TsctrError) throw err;
      // Keep stray errno codes (an ENOENT would read as "Could not find the file <dest>") out.
      const wrapped = new TsctrError('Unknown', `tar entry ${q(e.header.name)}: ${(err as Error).message}`);
      wrapped.cause = err;
      throw wrapped;
    }
  }

  private cleanName(name: string, entry: string, what: string): string[] {
    if (name.includes('\0')) throw invalid(`tar entry ${q(entry)}: NUL byte in ${what} name`);
    const out: string[] = [];
    for (const c of name.split('/')) {
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (out.length === 0) {
          throw invalid(`tar entry ${q(entry)}: ${what} ${q(name)} climbs out of ${this.opts.within}`);
        }
        out.pop();
        continue;
      }
      out.push(c);
    }
    return out;
  }

  private async apply(h: TarHeader, body: () => AsyncGenerator<Buffer>): Promise<void> {
    const rel = this.cleanName(h.name, h.name, 'entry');
    if (rel.length === 0) return; // the destination itself: its metadata is not the tar's to change
    if (!this.opts.devices && (h.type === 'char' || h.type === 'block')) {
      throw invalid(`tar entry ${q(h.name)}: device nodes cannot be copied into a container`);
    }
    const base = rel[rel.length - 1];
    const parent = this.parentDir(rel.slice(0, -1), h.name);
    const relPath = rel.join('/');
    // Whiteouts may leave markers (overlay's 0/0 devices) the fresh-directory shortcut does not know.
    if (this.opts.whiteouts && base.startsWith(WHITEOUT_PREFIX))
      this.fresh.delete(rel.slice(0, -1).join('/'));
    if (this.opts.whiteouts && base === OPAQUE_MARKER) {
      applyOpaque(this.opts.whiteouts, this.unpacked, parent.fd, rel.slice(0, -1).join('/'));
      return this.dropCache(parent); // directories may have been removed
    }
    if (this.opts.whiteouts && base.startsWith(WHITEOUT_PREFIX)) {
      const name = whitedOutName(base, h.name);
      const target = [...rel.slice(0, -1), name].join('/');
      applyWhiteout(this.opts.whiteouts, this.unpacked, parent.fd, name, target, {
        uid: h.uid,
        gid: h.gid,
        ...entryTimes(h),
      });
      return this.dropCache(parent);
    }
    const linkTarget = h.type === 'link' ? this.hardLinkTarget(h, rel) : undefined;
    try {
      const known =
        this.opts.symlinks === 'refuse' &&
        this.fresh.has(rel.slice(0, -1).join('/')) &&
        !this.unpacked.touched(relPath);
      const existing = known ? undefined : lstatAt(parent.fd, base);
      const isDir = h.type === 'dir';
      if (existing && this.opts.noOverwriteDirNonDir) {
        const shown = containerPathOf([...this.dest.comps, ...rel]);
        if (existing.isDirectory() && !isDir) {
          throw invalid(`cannot overwrite directory ${q(shown)} with non-directory ${q(h.name)}`);
        }
        if (!existing.isDirectory() && isDir) {
          throw invalid(`cannot overwrite non-directory ${q(shown)} with directory ${q(h.name)}`);
        }
      }
      if (existing && !(existing.isDirectory() && isDir)) {
        removeAt(parent.fd, base);
        // A removed directory may be cached (or, following symlinks, be on the way to one).
        if (existing.isDirectory() || this.opts.symlinks === 'follow') this.dropCache(parent);
      }
      const times = entryTimes(h);
      const meta: EntryMeta = {
        uid: this.opts.chown?.uid ?? h.uid,
        gid: this.opts.chown?.gid ?? h.gid,
        mode: h.mode & 0o7777,
        ...times,
        xattrs: this.opts.xattrs ? h.xattrs : new Map(),
      };
      await writeEntry(parent.fd, base, h, meta, body, linkTarget, !existing);
      if (isDir) {
        if (!existing?.isDirectory()) this.fresh.add(relPath);
        // A directory re-created where this layer whited one out must not show the lower one's contents.
        if (this.opts.whiteouts === 'overlay' && existing?.isCharacterDevice() && existing.rdev === 0n) {
          this.withDir(parent.fd, base, setOpaque);
        }
        this.dirTimes.push({ rel, times });
      }
      this.unpacked.add(relPath);
    } finally {
      if (linkTarget) closeQuietly(linkTarget.fd);
    }
  }

  private withDir(dirFd: number, name: string, fn: (fd: number) => void): void {
    const fd = openSync(at(dirFd, name), O_PATH | O_DIRECTORY | O_NOFOLLOW);
    try {
      fn(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** What a symlink on the way does: followed, or refused naming the entry. */
  private walkSymlinks(entry: string): ((comps: string[]) => Error) | undefined {
    if (this.opts.symlinks === 'follow') return undefined;
    return (comps) =>
      invalid(
        `tar entry ${q(entry)}: refusing to write through symlink ${q(comps.slice(this.dest.comps.length).join('/'))}`,
      );
  }

  /**
   * The existing non-directory a hard link entry points to, as (directory handle, name); the caller
   * closes the handle. Targets are tar names, relative to the destination like entry names.
   */
  private hardLinkTarget(h: TarHeader, rel: string[]): { fd: number; name: string } {
    const target = this.cleanName(h.linkname, h.name, 'hard link target');
    const bad = (why: string) => invalid(`tar entry ${q(h.name)}: hard link target ${q(h.linkname)} ${why}`);
    if (target.length === 0) throw bad(`is ${this.opts.within}`);
    if (target.join('/') === rel.join('/')) throw bad('is the entry itself');
    let w: Walked;
    try {
      w = walk(this.rfs, this.dest, target, { last: 'nofollow', onSymlink: this.walkSymlinks(h.name) });
    } catch (err) {
      if (err instanceof ArchiveError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) {
        throw bad('does not exist');
      }
      throw err;
    }
    try {
      const st = w.name ? lstatAt(w.fd, w.name) : undefined;
      if (!w.name || st?.isDirectory()) throw bad('is a directory');
      if (!st) throw bad('does not exist');
      return { fd: w.fd, name: w.name };
    } catch (err) {
      closeQuietly(w.fd);
      throw err;
    }
  }

  /** A handle on the directory `comps` (relative to the destination), creating missing ones. */
  private parentDir(comps: string[], entry: string): DirRef {
    if (comps.length === 0) return this.dest;
    const key = comps.join('/');
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    let start = this.dest;
    let from = 0;
    for (let n = comps.length - 1; n > 0; n--) {
      const ancestor = this.cache.get(comps.slice(0, n).join('/'));
      if (ancestor) {
        start = ancestor;
        from = n;
        break;
      }
    }
    let w: Walked;
    try {
      w = walk(this.rfs, start, comps.slice(from), {
        last: 'enter',
        mkdir: this.mkdirImplied,
        onSymlink: this.walkSymlinks(entry),
      });
    } catch (err) {
      // Name the entry in the walk's own errors (a parent that is not a directory…).
      if (err instanceof ArchiveError && !err.message.startsWith('tar entry ')) {
        throw new ArchiveError(err.kind, err.code, `tar entry ${q(entry)}: ${err.message}`);
      }
      throw err;
    }
    const ref = { fd: w.fd, comps: w.comps };
    this.cache.set(key, ref);
    if (this.cache.size > CACHE_SIZE) {
      const [oldKey, old] = this.cache.entries().next().value as [string, DirRef];
      this.cache.delete(oldKey);
      closeQuietly(old.fd);
    }
    return ref;
  }

  /** Creates a directory the tar needs but did not list (yet). */
  private readonly mkdirImplied = (dirFd: number, name: string, comps: string[]): boolean => {
    const rel = comps.slice(this.dest.comps.length);
    try {
      const times = this.opts.impliedDir
        ? this.opts.impliedDir(dirFd, name, rel.join('/'))
        : defaultImpliedDir(dirFd, name);
      if (times) this.dirTimes.push({ rel, times });
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') return false; // appeared meanwhile; the walk looks again
      throw err;
    }
    this.unpacked.add(rel.join('/'));
    this.fresh.add(rel.join('/'));
    return true;
  };

  /** Forgets cached directory handles, all but `keep` (the parent in use, which stays valid). */
  private dropCache(keep?: DirRef): void {
    for (const [key, ref] of this.cache) {
      if (ref === keep) continue;
      closeQuietly(ref.fd);
      this.cache.delete(key);
    }
  }

  close(): void {
    this.dropCache();
  }

  restoreDirTimes(): void {
    for (const { rel, times } of this.dirTimes) {
      let w: Walked;
      try {
        w = walk(this.rfs, this.dest, rel, { last: 'nofollow', onSymlink: this.walkSymlinks('') });
      } catch {
        continue; // gone or replaced by later entries
      }
      try {
        if (!lstatAt(w.fd, w.name)?.isDirectory()) continue;
        this.withDir(w.fd, w.name, (fd) => utimesNs(at(fd), times.atimeNs, times.mtimeNs));
      } catch (err) {
        if (!['ENOENT', 'ENOTDIR', 'ELOOP'].includes(errnoCode(err) ?? '')) throw err;
      } finally {
        closeQuietly(w.fd);
      }
    }
  }
}

/** Directories a tar implies without listing them get root 0755, as in moby. */
function defaultImpliedDir(dirFd: number, name: string): undefined {
  mkdirSync(at(dirFd, name), 0o755);
  chmodDir(at(dirFd, name), 0o755); // mkdir's mode went through the umask
  return undefined;
}
