// PUT /containers/{id}/archive: unpack a tar into a directory of a container, never writing outside
// the container's root.
//
// Entry names are cleaned lexically and taken relative to the destination (a leading "/" is dropped,
// a ".." that would leave the destination is refused). The parent directory of each entry is reached
// through rootfs.ts's confined walk: symlinks on the way — already in the container or made earlier
// by the same tar — are followed as the container would see them, relative to its root, never to the
// host's. The entry itself is then created by its single name inside that directory handle with calls
// that never follow a final symlink (mkdir, symlink, link, mknod, open O_CREAT|O_EXCL|O_NOFOLLOW),
// after removing whatever was there (confined rm -rf), and its owner, mode and times are set through a
// handle on what we created. Hostile entries are refused with an EINVAL-coded InvalidArgument error
// rather than skipped: names leaving the destination, hard links whose target leaves it or does not
// exist, and device nodes.
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  symlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { extract as tarExtract, type Extract, type Header } from 'tar-stream';
import { TsctrError } from '../../api/errdefs.js';
import { ArchiveError, errnoCode, invalid, notFound, q } from './errors.js';
import { mkfifo } from '../../pkg/sys/mknod.js';
import {
  at,
  closeQuietly,
  containerPathOf,
  type DirRef,
  fstatBig,
  lstatAt,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_PATH,
  parseContainerPath,
  removeAt,
  RootFs,
  walk,
  type Walked,
} from './rootfs.js';
import { shownPath } from './stat.js';

export interface ExtractOptions {
  /** Refuse to replace an existing directory with a non-directory or the reverse (moby's
   * noOverwriteDirNonDir query parameter; `docker cp` sends it). */
  noOverwriteDirNonDir?: boolean;
  /** Owner for every entry instead of the tar's (moby's copyUIDGID, resolved by the caller). */
  chown?: { uid: number; gid: number };
}

/** Directories a tar implies without listing them get these, as in moby. */
const IMPLIED_DIR_MODE = 0o755;
/** Parent directory handles kept between entries. */
const CACHE_SIZE = 64;

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
  try {
    target = openDestination(rfs, cp.comps, shownPath(dest));
    await new Extractor(rfs, target, opts).run(tar);
  } finally {
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

/** A tar name as components relative to the destination; refuses names that leave it. */
function cleanName(name: string, entry: string, what: string): string[] {
  if (name.includes('\0')) throw invalid(`tar entry ${q(entry)}: NUL byte in ${what}`);
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) {
        throw invalid(`tar entry ${q(entry)}: ${what} ${q(name)} leaves the extraction directory`);
      }
      out.pop();
      continue;
    }
    out.push(c);
  }
  return out;
}

type EntryType = Header['type'];
type PaxRecords = Record<string, string>;
interface Times {
  atime: number;
  mtime: number;
}

const HANDLED = new Set<string>(['file', 'contiguous-file', 'directory', 'symlink', 'link', 'fifo']);

class Extractor {
  private readonly cache = new Map<string, DirRef>();
  /** Directory times are set last: creating entries in a directory changes its mtime. */
  private readonly dirTimes: { comps: string[]; times: Times }[] = [];

  constructor(
    private readonly rfs: RootFs,
    private readonly dest: DirRef,
    private readonly opts: ExtractOptions,
  ) {}

  async run(input: Readable): Promise<void> {
    // Like Go's archive/tar, also read pre-POSIX (v7) headers.
    const ex = tarExtract({ allowUnknownFormat: true } as Parameters<typeof tarExtract>[0]);
    ex.on('error', () => undefined); // surfaced by the iterator below
    const feeder = feed(input, ex);
    try {
      for await (const entry of ex) {
        await this.entry(entry.header, entry);
        for await (const rest of entry) void rest; // whatever body the entry did not use
      }
      this.restoreDirTimes();
    } finally {
      feeder.detach();
      for (const ref of this.cache.values()) closeQuietly(ref.fd);
      this.cache.clear();
    }
  }

  private async entry(h: Header, body: AsyncIterable<unknown>): Promise<void> {
    try {
      await this.apply(h, body);
    } catch (err) {
      if (err instanceof TsctrError) throw err;
      // Keep stray errno codes (an ENOENT would read as "Could not find the file <dest>") out.
      const wrapped = new TsctrError('Unknown', `tar entry ${q(h.name)}: ${(err as Error).message}`);
      wrapped.cause = err;
      throw wrapped;
    }
  }

  private async apply(h: Header, body: AsyncIterable<unknown>): Promise<void> {
    const type = h.type as EntryType | null;
    const rel = cleanName(h.name, h.name, 'name');
    if (rel.length === 0) return; // "." (the destination itself) carries nothing moby applies
    if (type === 'character-device' || type === 'block-device') {
      // moby creates device nodes when the daemon runs as root. We refuse them: a node made here by
      // the host's root could give the container access to a host device it was not granted.
      throw invalid(`tar entry ${q(h.name)}: device nodes cannot be copied into a container`);
    }
    if (type === null || !HANDLED.has(type)) {
      throw invalid(`tar entry ${q(h.name)}: unhandled tar header type ${q(String(type))}`);
    }
    const base = rel[rel.length - 1];
    const linkTarget = type === 'link' ? this.hardLinkTarget(h, rel) : undefined;
    try {
      const parent = this.parentDir(rel.slice(0, -1));
      const shown = containerPathOf([...this.dest.comps, ...rel]);
      const existing = lstatAt(parent.fd, base);
      const isDir = type === 'directory';
      if (existing && this.opts.noOverwriteDirNonDir) {
        if (existing.isDirectory() && !isDir) {
          throw invalid(`cannot overwrite directory ${q(shown)} with non-directory ${q(h.name)}`);
        }
        if (!existing.isDirectory() && isDir) {
          throw invalid(`cannot overwrite non-directory ${q(shown)} with directory ${q(h.name)}`);
        }
      }
      if (existing && !(existing.isDirectory() && isDir)) {
        removeAt(parent.fd, base);
        // A removed directory may be cached (or on the way to a cached one).
        this.dropCache();
      }
      const p = at(parent.fd, base);
      const pax = (h.pax ?? {}) as PaxRecords;
      const owner = this.owner(h, pax);
      const mode = h.mode & 0o7777;
      const times = entryTimes(h, pax);
      switch (type) {
        case 'directory': {
          if (!existing?.isDirectory()) mkdirSync(p, 0o700);
          this.withHandle(p, 'directory', (fd) => {
            chownSync(at(fd), owner.uid, owner.gid);
            chmodSync(at(fd), mode);
          });
          this.dirTimes.push({ comps: rel, times });
          return;
        }
        case 'file':
        case 'contiguous-file':
          return writeFile(p, body, owner, mode, times);
        case 'symlink':
          if (!h.linkname) throw invalid(`tar entry ${q(h.name)}: symlink without a target`);
          symlinkSync(h.linkname, p);
          lchownSync(p, owner.uid, owner.gid);
          lutimesSync(p, times.atime, times.mtime);
          return;
        case 'link': {
          const t = linkTarget as { fd: number; name: string };
          linkSync(at(t.fd, t.name), p);
          this.setLinkedMetadata(p, owner, mode, times);
          return;
        }
        case 'fifo':
          mkfifo(p, 0o600);
          this.withHandle(p, 'fifo', (fd) => {
            chownSync(at(fd), owner.uid, owner.gid);
            chmodSync(at(fd), mode);
            utimesSync(at(fd), times.atime, times.mtime);
          });
          return;
      }
    } finally {
      if (linkTarget) closeQuietly(linkTarget.fd);
    }
  }

  private owner(h: Header, pax: PaxRecords): { uid: number; gid: number } {
    if (this.opts.chown) return this.opts.chown;
    const id = (paxValue: string | undefined, fallback: number): number => {
      const n = paxValue === undefined ? NaN : Number(paxValue);
      return Number.isSafeInteger(n) && n >= 0 ? n : fallback;
    };
    return { uid: id(pax.uid, h.uid), gid: id(pax.gid, h.gid) };
  }

  /** Runs `fn` with an O_PATH handle on what `p` names, checked to be of the type just created. */
  private withHandle(p: string, kind: 'directory' | 'fifo', fn: (fd: number) => void): void {
    const fd = openSync(p, O_PATH | O_NOFOLLOW | (kind === 'directory' ? O_DIRECTORY : 0));
    try {
      const st = fstatBig(fd);
      if (kind === 'fifo' && !st.isFIFO()) throw new Error('replaced while being created');
      fn(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Owner, mode and times of a new hard link's inode (only the owner when it is a symlink, as moby). */
  private setLinkedMetadata(
    p: string,
    owner: { uid: number; gid: number },
    mode: number,
    times: Times,
  ): void {
    const fd = openSync(p, O_PATH | O_NOFOLLOW);
    try {
      if (fstatBig(fd).isSymbolicLink()) {
        lchownSync(p, owner.uid, owner.gid);
        return;
      }
      chownSync(at(fd), owner.uid, owner.gid);
      chmodSync(at(fd), mode);
      utimesSync(at(fd), times.atime, times.mtime);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The existing non-directory a hard link entry points to, as (directory handle, name); the caller
   * closes the handle. Targets are tar names, relative to the destination like entry names.
   */
  private hardLinkTarget(h: Header, rel: string[]): { fd: number; name: string } {
    const target = cleanName(h.linkname ?? '', h.name, 'hard link target');
    const bad = (why: string) =>
      invalid(`tar entry ${q(h.name)}: hard link target ${q(h.linkname ?? '')} ${why}`);
    if (target.length === 0) throw bad('is the extraction directory');
    if (target.join('/') === rel.join('/')) throw bad('is the entry itself');
    let w: Walked;
    try {
      w = walk(this.rfs, this.dest, target, { last: 'nofollow' });
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
  private parentDir(comps: string[]): DirRef {
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
    const w = walk(this.rfs, start, comps.slice(from), { last: 'enter', mkdir: mkdirImplied });
    const ref = { fd: w.fd, comps: w.comps };
    this.cache.set(key, ref);
    if (this.cache.size > CACHE_SIZE) {
      const [oldKey, old] = this.cache.entries().next().value as [string, DirRef];
      this.cache.delete(oldKey);
      closeQuietly(old.fd);
    }
    return ref;
  }

  private dropCache(): void {
    for (const ref of this.cache.values()) closeQuietly(ref.fd);
    this.cache.clear();
  }

  private restoreDirTimes(): void {
    for (const { comps, times } of this.dirTimes) {
      let w: Walked;
      try {
        w = walk(this.rfs, this.dest, comps, { last: 'nofollow' });
      } catch {
        continue; // gone or replaced by later entries
      }
      try {
        if (!lstatAt(w.fd, w.name)?.isDirectory()) continue;
        const fd = openSync(at(w.fd, w.name), O_PATH | O_DIRECTORY | O_NOFOLLOW);
        try {
          utimesSync(at(fd), times.atime, times.mtime);
        } finally {
          closeSync(fd);
        }
      } catch (err) {
        if (!['ENOENT', 'ENOTDIR', 'ELOOP'].includes(errnoCode(err) ?? '')) throw err;
      } finally {
        closeQuietly(w.fd);
      }
    }
  }
}

/** Creates a directory the tar needs but did not list (yet): root-owned, mode 0755. */
function mkdirImplied(dirFd: number, name: string): boolean {
  try {
    mkdirSync(at(dirFd, name), IMPLIED_DIR_MODE);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false; // appeared meanwhile; the walk looks again
    throw err;
  }
  const fd = openSync(at(dirFd, name), O_PATH | O_DIRECTORY | O_NOFOLLOW);
  try {
    chmodSync(at(fd), IMPLIED_DIR_MODE); // mkdir's mode went through the umask
  } finally {
    closeSync(fd);
  }
  return true;
}

async function writeFile(
  p: string,
  body: AsyncIterable<unknown>,
  owner: { uid: number; gid: number },
  mode: number,
  times: Times,
): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW;
  const fd = openSync(p, flags, 0o600);
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    }
    fchownSync(fd, owner.uid, owner.gid);
    fchmodSync(fd, mode); // after chown, which clears setuid/setgid
    futimesSync(fd, times.atime, times.mtime);
  } finally {
    closeSync(fd);
  }
}

/** An entry's times in seconds: mtime (PAX's when present, for sub-seconds), atime no earlier than
 * it, both clamped to the epoch as moby does. */
function entryTimes(h: Header, pax: PaxRecords): Times {
  const seconds = (v: string | undefined): number | undefined => {
    const n = v === undefined ? NaN : Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  // moby's boundTime: before the epoch or past what int64 nanoseconds hold → the epoch.
  const clamp = (t: number): number => (!Number.isFinite(t) || t < 0 || t > 9.2e9 ? 0 : t);
  const mtime = clamp(seconds(pax.mtime) ?? h.mtime.getTime() / 1000);
  const atime = Math.max(clamp(seconds(pax.atime) ?? 0), mtime);
  return { atime, mtime };
}

interface Sink {
  write(chunk: Buffer): boolean;
  end(): void;
  once(event: 'drain', fn: () => void): unknown;
}

const GZIP = Buffer.from([0x1f, 0x8b]);
const OTHER_COMPRESSION = [
  Buffer.from('BZh'), // bzip2
  Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), // xz
  Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), // zstd
];

/**
 * Feeds `input` into the tar parser, through gunzip when it starts with gzip's magic. moby also takes
 * bzip2, xz and zstd (by running external programs); those are refused here. `detach` stops feeding
 * and lets the rest of `input` flow away.
 */
function feed(input: Readable, ex: Extract): { detach(): void } {
  const parser: Sink = {
    write: (chunk) => ex.write(chunk),
    end: () => ex.end(null),
    once: (event, fn) => ex.once(event, fn),
  };
  const discard: Sink = { write: () => true, end: () => undefined, once: () => undefined };
  let gunzip: Gunzip | undefined;
  let sink: Sink | undefined;
  let head: Buffer[] = [];
  let headLength = 0;

  const choose = (start: Buffer): Sink => {
    if (start.subarray(0, 2).equals(GZIP)) {
      const gz = createGunzip();
      gunzip = gz;
      gz.on('data', (chunk: Buffer) => {
        if (!ex.write(chunk)) {
          gz.pause();
          ex.once('drain', () => gz.resume());
        }
      });
      gz.on('end', () => ex.end(null));
      gz.on('error', (err) => ex.destroy(invalid(`archive is not valid gzip: ${err.message}`)));
      return gz;
    }
    if (OTHER_COMPRESSION.some((m) => start.subarray(0, m.length).equals(m))) {
      ex.destroy(invalid('unsupported archive compression: send a plain or gzip-compressed tar'));
      return discard;
    }
    return parser;
  };
  const write = (s: Sink, chunk: Buffer): void => {
    if (!s.write(chunk)) {
      input.pause();
      s.once('drain', () => input.resume());
    }
  };
  const onData = (chunk: Buffer): void => {
    if (sink) return write(sink, chunk);
    head.push(chunk);
    headLength += chunk.length;
    if (headLength < 6) return;
    const start = Buffer.concat(head);
    head = [];
    sink = choose(start);
    write(sink, start);
  };
  const onEnd = (): void => {
    if (!sink) {
      const start = Buffer.concat(head);
      sink = choose(start);
      if (start.length > 0) sink.write(start);
    }
    sink.end();
  };
  const onError = (err: Error): void => {
    ex.destroy(err);
  };
  const onClose = (): void => {
    if (!input.readableEnded) ex.destroy(new Error('the archive upload ended early'));
  };
  input.on('data', onData);
  input.on('end', onEnd);
  input.on('error', onError);
  input.on('close', onClose);
  input.resume();
  return {
    detach() {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.off('close', onClose);
      gunzip?.destroy();
      if (!input.readableEnded && !input.destroyed) input.resume();
    },
  };
}
