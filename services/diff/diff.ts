// Diff.Diff's engine: an overlay upper dir already is the change set of its snapshot, so the layer is
// that tree written as an OCI tar — overlay whiteouts turned back into `.wh.` entries, opaque
// directories into `.wh..wh..opq` markers. Output is deterministic: names sorted per directory,
// mtimes truncated to seconds, no atimes, xattrs in name order. File system calls are synchronous:
// one thread-pool round trip per tiny syscall would cost more than the syscalls themselves.
import {
  type BigIntStats,
  closeSync,
  constants,
  lstatSync,
  openSync,
  readSync,
  readdirSync,
  readlinkSync,
} from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import { notImplemented } from '../../api/errdefs.js';
import { join } from './confine.js';
import { devMajor, devMinor, lgetxattr, llistxattr } from './syscalls.js';
import { BLOCK, type EntryType, type TarHeader, encodeHeader, padding } from './tar-format.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './whiteouts.js';

const READ_CHUNK = 1 << 20;

/**
 * The uncompressed OCI layer tar of the overlay upper dir `upper`. `lowers` (the parents, nearest
 * first) are not read: overlayfs records every change, deletions included, in the upper dir.
 */
export function writeDiff(upper: string, lowers: string[]): Readable {
  void lowers;
  return Readable.from(layerTar(upper), { objectMode: false, highWaterMark: 1 << 16 });
}

/** Gzip-compresses a stream (containerd's default level). */
export function compressGzip(stream: Readable): Readable {
  const gz = createGzip();
  return pipeline(stream, gz, (err) => {
    if (err) gz.destroy(err);
  });
}

async function* layerTar(upper: string): AsyncGenerator<Buffer> {
  yield* walk(upper, '', new Map());
  yield Buffer.alloc(BLOCK * 2);
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const seconds = (ns: bigint): bigint =>
  (ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n)) * 1_000_000_000n;

async function* walk(upper: string, dirRel: string, links: Map<string, string>): AsyncGenerator<Buffer> {
  const names = readdirSync(dirRel ? `${upper}/${dirRel}` : upper).sort(byName);
  for (const name of names) {
    const rel = join(dirRel, name);
    const abs = `${upper}/${rel}`;
    const st = lstatSync(abs, { bigint: true });
    if (st.isSocket()) continue;
    if (st.isCharacterDevice() && st.rdev === 0n) {
      yield encodeHeader(marker(join(dirRel, `${WHITEOUT_PREFIX}${name}`), st));
      continue;
    }
    const h = header(rel, st, readXattrs(abs));
    if (h.type === 'symlink') h.linkname = readlinkSync(abs);
    if (h.type !== 'dir' && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        yield encodeHeader({ ...h, type: 'link', linkname: first, size: 0 });
        continue;
      }
      links.set(key, rel);
    }
    yield encodeHeader(h);
    if (h.type === 'file') yield* contents(abs, h.size);
    if (h.type === 'dir') {
      if (lgetxattr(abs, 'trusted.overlay.opaque')?.toString() === 'y') {
        yield encodeHeader(marker(join(rel, OPAQUE_MARKER), st));
      }
      yield* walk(upper, rel, links);
    }
  }
}

function typeOf(st: BigIntStats): EntryType {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'file';
}

function header(rel: string, st: BigIntStats, xattrs: Map<string, Buffer>): TarHeader {
  const type = typeOf(st);
  const device = type === 'char' || type === 'block';
  return {
    name: rel,
    type,
    mode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: type === 'file' ? Number(st.size) : 0,
    mtimeNs: seconds(st.mtimeNs),
    linkname: '',
    devmajor: device ? devMajor(st.rdev) : 0,
    devminor: device ? devMinor(st.rdev) : 0,
    xattrs,
  };
}

/** A whiteout or opaque marker: an empty file owned like the thing that records it. */
function marker(name: string, st: BigIntStats): TarHeader {
  return {
    name,
    type: 'file',
    mode: 0,
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: 0,
    mtimeNs: seconds(st.mtimeNs),
    linkname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
  };
}

/** The entry's xattrs minus overlayfs' own; refuses overlay features a plain walk cannot express. */
function readXattrs(abs: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of llistxattr(abs).sort(byName)) {
    if (name === 'trusted.overlay.redirect' || name === 'trusted.overlay.metacopy') {
      throw notImplemented(`diff of ${abs}: overlayfs ${name.slice(16)} is not supported`);
    }
    if (name.startsWith('trusted.overlay.')) continue;
    const value = lgetxattr(abs, name);
    if (value) out.set(name, value);
  }
  return out;
}

/** Exactly `size` bytes of the file (its size when we stat'ed it), then the block padding. */
async function* contents(abs: string, size: number): AsyncGenerator<Buffer> {
  const fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    let left = size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, left));
      const bytesRead = readSync(fd, buf, 0, buf.length, null);
      if (bytesRead === 0) throw new Error(`diff of ${abs}: file shrank while being read`);
      left -= bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    closeSync(fd);
  }
  if (padding(size) > 0) yield Buffer.alloc(padding(size));
}
