// Packing a directory tree into tar entries, confined: the walk holds a handle on each directory it
// descends into and opens every entry with O_NOFOLLOW relative to it (see rootfs.ts), so whoever
// changes the tree meanwhile (a running container) cannot make us read outside it. Nothing is
// followed: symlinks are stored as symlinks, files with several links as hard links to the first
// name seen, sockets are left out (tar cannot store them), entries that vanish or change type while
// walked are skipped. Names are sorted per directory (byte order of UTF-16 code units, as
// filepath.WalkDir), mtimes truncated to seconds, no atimes: the output is deterministic.
import { type BigIntStats, closeSync, constants, openSync, readdirSync, readlinkSync } from 'node:fs';
import { notImplemented } from '../../api/errdefs.js';
import { errnoCode } from './errors.js';
import { at, closeQuietly, fstatBig, lstatAt, O_DIRECTORY, O_NOFOLLOW, O_PATH } from './rootfs.js';
import { devMajor, devMinor } from '../sys/mknod.js';
import { lgetxattr, llistxattr } from '../sys/xattr.js';
import type { EntryType, TarHeader } from './tar-format.js';
import { HardLinks, type OnShrink, fileData, headerBlocks } from './tar-writer.js';
import { OPAQUE_MARKER, OVERLAY_OPAQUE, WHITEOUT_PREFIX } from './whiteouts.js';

/** Errors that mean an entry changed or vanished while we walked: skip it, as moby does. */
const RACED = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENXIO']);

export interface PackOptions {
  /** Store extended attributes (PAX SCHILY.xattr records), never overlayfs' own. */
  xattrs?: boolean;
  /** The tree is an overlay upper dir: its 0/0 character devices become `.wh.<name>` entries and
   * its opaque directories get a `.wh..wh..opq` marker (the OCI layer of that snapshot). */
  overlayWhiteouts?: boolean;
  /** A file that shrinks while read: padded with zeros or an error (default 'pad'). */
  onShrink?: OnShrink;
  /** Directories on these devices (st_dev) are written as entries but not descended into: the
   * kernel filesystems (/proc, /sys, /dev…) a live container's root shows and its image does not. */
  skipDevices?: ReadonlySet<bigint>;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const seconds = (ns: bigint): bigint =>
  (ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n)) * 1_000_000_000n;

function typeOf(st: BigIntStats): EntryType {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'file';
}

/** A tar header for what `st` describes, named `name` (no data size yet, no link name). */
export function headerOf(name: string, st: BigIntStats, xattrs = new Map<string, Buffer>()): TarHeader {
  const type = typeOf(st);
  const device = type === 'char' || type === 'block';
  return {
    name,
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: 0,
    mtimeNs: seconds(st.mtimeNs),
    linkname: '',
    devmajor: device ? devMajor(st.rdev) : 0,
    devminor: device ? devMinor(st.rdev) : 0,
    xattrs,
  };
}

/** An OCI whiteout or opaque marker: an empty file owned like the thing that records it. */
function marker(name: string, st: BigIntStats): TarHeader {
  return { ...headerOf(name, st), type: 'file', mode: 0 };
}

export class TreePacker {
  private readonly links = new HardLinks();
  private readonly onShrink: OnShrink;

  constructor(private readonly opts: PackOptions = {}) {
    this.onShrink = opts.onShrink ?? 'pad';
  }

  /**
   * The entries under the directory handle `dirFd`, depth first in name order, named
   * "<prefix>/<name>" (just "<name>" when `prefix` is undefined).
   */
  async *tree(dirFd: number, prefix: string | undefined): AsyncGenerator<Buffer> {
    const names = readdirSync(at(dirFd)).sort(byName);
    for (const name of names) {
      const st = lstatAt(dirFd, name);
      if (!st) continue;
      const tarName = prefix === undefined ? name : `${prefix}/${name}`;
      if (!st.isDirectory()) {
        yield* this.entry(dirFd, name, st, tarName);
        continue;
      }
      let fd: number;
      try {
        fd = openSync(at(dirFd, name), O_PATH | O_DIRECTORY | O_NOFOLLOW);
      } catch (err) {
        if (RACED.has(errnoCode(err) ?? '')) continue;
        throw err;
      }
      try {
        yield* this.directory(fd, at(dirFd, name), tarName);
        if (!this.opts.skipDevices?.has(st.dev)) yield* this.tree(fd, tarName);
      } finally {
        closeSync(fd);
      }
    }
  }

  /**
   * A directory's own entry (and its opaque marker): `fd` is a handle on it, `path` a path that
   * names it without following it (its name in its parent's handle) for reading xattrs.
   */
  async *directory(fd: number, path: string | undefined, tarName: string): AsyncGenerator<Buffer> {
    const st = fstatBig(fd);
    const xattrs = path === undefined ? new Map<string, Buffer>() : this.xattrsAt(path, tarName);
    yield headerBlocks(headerOf(`${tarName}/`, st, xattrs));
    if (
      path !== undefined &&
      this.opts.overlayWhiteouts &&
      lgetxattr(path, OVERLAY_OPAQUE)?.toString() === 'y'
    ) {
      yield headerBlocks(marker(tarName ? `${tarName}/${OPAQUE_MARKER}` : OPAQUE_MARKER, st));
    }
  }

  /** One non-directory entry: `name` in `dirFd` (or `dirFd` itself when name is ''). */
  async *entry(dirFd: number, name: string, st: BigIntStats, tarName: string): AsyncGenerator<Buffer> {
    if (st.isSocket()) return;
    if (this.opts.overlayWhiteouts && st.isCharacterDevice() && st.rdev === 0n) {
      const slash = tarName.lastIndexOf('/');
      const wh = `${tarName.slice(0, slash + 1)}${WHITEOUT_PREFIX}${tarName.slice(slash + 1)}`;
      yield headerBlocks(marker(wh, st));
      return;
    }
    if (st.isFile()) {
      yield* this.file(dirFd, name, tarName);
      return;
    }
    const h = headerOf(tarName, st, this.xattrsOf(dirFd, name));
    if (st.isSymbolicLink()) {
      try {
        h.linkname = readlinkSync(at(dirFd, name));
      } catch (err) {
        if (RACED.has(errnoCode(err) ?? '') || errnoCode(err) === 'EINVAL') return;
        throw err;
      }
    } else if (!st.isFIFO() && !st.isCharacterDevice() && !st.isBlockDevice()) {
      return;
    }
    yield headerBlocks(this.hardLinked(h, st));
  }

  private async *file(dirFd: number, name: string, tarName: string): AsyncGenerator<Buffer> {
    let fd: number;
    try {
      const flags = constants.O_RDONLY | O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
      fd = openSync(at(dirFd, name), flags);
    } catch (err) {
      if (RACED.has(errnoCode(err) ?? '')) return;
      throw err;
    }
    try {
      const st = fstatBig(fd);
      if (!st.isFile()) return; // replaced by something else since the lstat
      const h = this.hardLinked(headerOf(tarName, st, this.xattrsOf(dirFd, name)), st);
      if (h.type === 'link') {
        yield headerBlocks(h);
        return;
      }
      h.size = Number(st.size);
      yield headerBlocks(h);
      yield* fileData(fd, h.size, this.onShrink, tarName);
    } finally {
      closeQuietly(fd);
    }
  }

  /** The second and later names of a multiply linked non-directory become hard link entries. */
  private hardLinked(h: TarHeader, st: BigIntStats): TarHeader {
    const first = this.links.firstName(st, h.name);
    return first === undefined ? h : { ...h, type: 'link', linkname: first, size: 0 };
  }

  /** `name`'s xattrs in name order, minus overlayfs' own (when xattrs are stored at all). */
  private xattrsOf(dirFd: number, name: string): Map<string, Buffer> {
    return name === '' ? new Map() : this.xattrsAt(at(dirFd, name), name);
  }

  private xattrsAt(p: string, shown: string): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    if (!this.opts.xattrs) return out;
    for (const x of llistxattr(p).sort(byName)) {
      if (x === 'trusted.overlay.redirect' || x === 'trusted.overlay.metacopy') {
        throw notImplemented(`diff of ${shown}: overlayfs ${x.slice(16)} is not supported`);
      }
      if (x.startsWith('trusted.overlay.')) continue;
      const value = lgetxattr(p, x);
      if (value) out.set(x, value);
    }
    return out;
  }
}
