// Diff.Apply's engine: decompress a layer blob, hash the uncompressed tar (the diffID) and unpack it
// into a snapshot directory, entry by entry, confined to that directory.
import { readdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { invalidArgument } from '../../api/errdefs.js';
import { RootGuard, baseOf, cleanName, parentOf } from './confine.js';
import { decompressStream } from './decompress.js';
import { type DirTimes, makeParent } from './parents.js';
import { lsetxattr, lutimesNs } from './syscalls.js';
import { TarReader, type TarEntry } from './tar-reader.js';
import {
  OPAQUE_MARKER,
  UnpackedPaths,
  WHITEOUT_PREFIX,
  applyOpaque,
  applyWhiteout,
  whitedOutName,
} from './whiteouts.js';
import { createEntry, entryTimes } from './write-entry.js';

export interface ApplyTarget {
  /** overlay: the snapshot's upper dir; naive: the plain directory tree. */
  root: string;
  /** Parent layers' directories, nearest first (overlay only). */
  lowers: string[];
  mode: 'overlay' | 'naive';
}

export interface Applied {
  /** sha256 of the uncompressed tar, "sha256:<hex>". */
  diffId: string;
  /** Uncompressed bytes read, trailing padding included. */
  size: number;
}

/**
 * Unpacks a layer into `target.root`. Rejects with invalidArgument for entries that would escape
 * the root, notImplemented for media types that are not layers. On failure the root is left
 * half-applied: the caller discards the snapshot.
 */
export async function applyLayer(blob: Readable, mediaType: string, target: ApplyTarget): Promise<Applied> {
  let tar: Readable;
  try {
    tar = decompressStream(blob, mediaType);
  } catch (e) {
    blob.destroy();
    throw e;
  }
  const hash = createHash('sha256');
  let size = 0;
  const reader = new TarReader(tar, (chunk) => {
    hash.update(chunk);
    size += chunk.length;
  });
  try {
    const unpacker = await Unpacker.open(target);
    let lastYield = performance.now();
    for await (const entry of reader.entries()) {
      await unpacker.apply(entry);
      // Entries are applied with synchronous syscalls: let the daemon's other work run now and then.
      if (performance.now() - lastYield > 20) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
    await reader.drain();
    unpacker.finish();
  } catch (e) {
    await reader.close().catch(() => undefined);
    tar.destroy();
    blob.destroy();
    throw e;
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}

class Unpacker {
  private readonly unpacked = new UnpackedPaths();
  private readonly dirTimes: DirTimes[] = [];
  /**
   * Directories known to hold only what this layer put there (the root when it started empty, and
   * every directory this layer created): an entry in one of them that this layer has not written
   * cannot exist yet, so no lstat is needed to find out.
   */
  private readonly fresh = new Set<string>();
  /** Paths where this layer put a whiteout device (they exist though nothing was "unpacked" there). */
  private readonly whiteouts = new Set<string>();

  private constructor(
    private readonly guard: RootGuard,
    private readonly mode: 'overlay' | 'naive',
    private readonly lowers: string[],
  ) {}

  static async open(target: ApplyTarget): Promise<Unpacker> {
    const lowers = target.mode === 'overlay' ? target.lowers : [];
    const u = new Unpacker(await RootGuard.open(target.root), target.mode, lowers);
    if ((await readdir(target.root)).length === 0) u.fresh.add('');
    return u;
  }

  private lstatExisting(rel: string) {
    if (this.fresh.has(parentOf(rel)) && !this.unpacked.has(rel) && !this.whiteouts.has(rel))
      return undefined;
    return this.guard.lstat(rel);
  }

  /** A parent directory the layer needs but does not list (before it, or at all). */
  private readonly makeParent = (rel: string): void => {
    const times = makeParent(this.guard.abs(rel), rel, this.lowers);
    if (times) this.dirTimes.push(times);
    this.fresh.add(rel);
    this.unpacked.add(rel);
  };

  async apply(entry: TarEntry): Promise<void> {
    const h = entry.header;
    const rel = cleanName(h.name, h.name);
    if (rel === '') return; // the root itself: its metadata belongs to the snapshotter
    this.guard.parents(rel, h.name, this.makeParent);
    const base = baseOf(rel);
    const ctx = { guard: this.guard, mode: this.mode, unpacked: this.unpacked };
    if (base === OPAQUE_MARKER) return applyOpaque(ctx, parentOf(rel));
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const name = whitedOutName(base, h.name);
      const dir = parentOf(rel);
      this.whiteouts.add(dir === '' ? name : `${dir}/${name}`);
      return applyWhiteout(ctx, dir, name, h);
    }

    const linkTarget = h.type === 'link' ? this.linkTarget(rel, h.name, h.linkname) : undefined;
    const existing = this.lstatExisting(rel);
    if (existing && !(existing.isDirectory() && h.type === 'dir')) this.guard.remove(rel);
    await createEntry(this.guard.abs(rel), h, entry.body, linkTarget);
    if (h.type === 'dir' && !existing) this.fresh.add(rel);
    // A directory re-created where this layer whited one out must not show the lower one's contents.
    if (
      this.mode === 'overlay' &&
      h.type === 'dir' &&
      existing?.isCharacterDevice() &&
      existing.rdev === 0n
    ) {
      lsetxattr(this.guard.abs(rel), 'trusted.overlay.opaque', Buffer.from('y'));
    }
    if (h.type === 'dir') this.dirTimes.push({ rel, ...entryTimes(h) });
    this.unpacked.add(rel);
  }

  /** A hard link may only point at something already inside the root, reached without symlinks. */
  private linkTarget(rel: string, entry: string, linkname: string): string {
    const target = cleanName(linkname, entry, 'hard link target');
    if (target === '')
      throw invalidArgument(`tar entry ${JSON.stringify(entry)}: hard link to the layer root`);
    if (target === rel) throw invalidArgument(`tar entry ${JSON.stringify(entry)}: hard link to itself`);
    this.guard.parents(target, entry);
    const st = this.guard.lstat(target);
    if (!st) {
      throw invalidArgument(
        `tar entry ${JSON.stringify(entry)}: hard link target ${JSON.stringify(linkname)} is not in the layer root`,
      );
    }
    if (st.isDirectory()) {
      throw invalidArgument(
        `tar entry ${JSON.stringify(entry)}: hard link target ${JSON.stringify(linkname)} is a directory`,
      );
    }
    return this.guard.abs(target);
  }

  /** Directory times last: creating entries inside a directory changes its mtime. */
  finish(): void {
    for (const t of this.dirTimes) {
      const st = this.guard.lstatIfConfined(t.rel);
      if (st?.isDirectory()) lutimesNs(this.guard.abs(t.rel), t.atimeNs, t.mtimeNs);
    }
  }
}
