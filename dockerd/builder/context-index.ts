// The build context kept as it arrived: the (decompressed) tar in memory, or spooled to a file once
// it is large, and an index of its entries (offset, size, mode), so that a build whose steps all hit
// the cache never unpacks it. Only plain tars are indexed (regular files and directories with clean,
// unique names); anything else (links, `..`, devices, duplicates, a truncated tar) leaves the index
// out and the context is unpacked by pkg/archive's confined extractor as before.
import { closeSync, createReadStream, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { Readable } from 'node:stream';
import { entryTypeOf, isZeroBlock, padding, parseBlock, parsePax } from '../../pkg/archive/tar-format.js';

/** Contexts up to this size stay in memory. */
const MEMORY_LIMIT = 8 << 20;

/** The received bytes, in memory or in a file of the build's private directory. */
export class Spool {
  private chunks: Buffer[] = [];
  private joined: Buffer | undefined;
  private fd: number | undefined;
  size = 0;

  constructor(
    private readonly file: string,
    private readonly memoryLimit = MEMORY_LIMIT,
  ) {}

  private writeAll(b: Buffer): void {
    let off = 0;
    while (off < b.length) off += writeSync(this.fd!, b, off, b.length - off);
  }

  write(b: Buffer): void {
    if (this.fd === undefined && this.size + b.length > this.memoryLimit) {
      this.fd = openSync(this.file, 'w+', 0o600);
      for (const c of this.chunks) this.writeAll(c);
      this.chunks = [];
    }
    if (this.fd !== undefined) this.writeAll(b);
    else this.chunks.push(b);
    this.joined = undefined;
    this.size += b.length;
  }

  /** `len` bytes at `off` (fewer at the end). */
  read(off: number, len: number): Buffer {
    if (this.fd === undefined) {
      if (!this.joined) {
        this.joined = Buffer.concat(this.chunks);
        this.chunks = [this.joined];
      }
      return this.joined.subarray(off, off + len);
    }
    const out = Buffer.allocUnsafe(Math.max(0, Math.min(len, this.size - off)));
    let got = 0;
    while (got < out.length) {
      const n = readSync(this.fd, out, got, out.length - got, off + got);
      if (n === 0) break;
      got += n;
    }
    return out.subarray(0, got);
  }

  /** Everything received, from the start. */
  stream(): Readable {
    if (this.fd === undefined) return Readable.from(this.chunks);
    return createReadStream(this.file, { highWaterMark: 1 << 20 });
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.chunks = [];
    this.joined = undefined;
    rmSync(this.file, { force: true });
  }
}

export interface CtxNode {
  dir: boolean;
  /** Permission bits as the extractor sets them (the tar's, 0755 for directories it implies). */
  mode: number;
  size: number;
  /** Where the file's data starts in the spool. */
  offset: number;
  /** A directory the tar did not list (made by the extractor as its entries' parent). */
  implied?: boolean;
  children?: Map<string, CtxNode>;
}

const dirNode = (mode: number, implied: boolean): CtxNode => ({
  dir: true,
  mode,
  size: 0,
  offset: 0,
  implied,
  children: new Map(),
});

/** PAX records that change nothing the extractor (xattrs off) or the index looks at. */
const HARMLESS_PAX =
  /^(path|mtime|atime|ctime|uid|gid|uname|gname|comment|SCHILY\.xattr\..*|LIBARCHIVE\.xattr\..*)$/;

/** The index of a plain context tar, or undefined when the tar is anything but plain. */
export function indexTar(spool: Spool): CtxNode | undefined {
  const root = dirNode(0o755, false);
  let off = 0;
  let pax: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  try {
    while (off + 512 <= spool.size) {
      const block = spool.read(off, 512);
      if (isZeroBlock(block)) return root;
      const raw = parseBlock(block);
      off += 512;
      if (raw.typeflag === 'x' || raw.typeflag === 'L' || raw.typeflag === 'g') {
        if (raw.size > 1 << 20 || off + raw.size > spool.size) return undefined;
        const data = spool.read(off, raw.size);
        off += raw.size + padding(raw.size);
        if (raw.typeflag === 'x') {
          pax = parsePax(data);
          if ([...pax.keys()].some((k) => !HARMLESS_PAX.test(k))) return undefined;
        } else if (raw.typeflag === 'L') {
          const nul = data.indexOf(0);
          longName = (nul < 0 ? data : data.subarray(0, nul)).toString('utf8');
        }
        continue;
      }
      const name = pax?.get('path')?.toString('utf8') ?? longName ?? raw.name;
      pax = undefined;
      longName = undefined;
      const type = entryTypeOf(raw.typeflag, name);
      if (type !== 'file' && type !== 'dir') return undefined;
      const size = type === 'file' ? raw.size : 0;
      if (off + size > spool.size || name.includes('\0')) return undefined;
      const comps = name.split('/').filter((c) => c !== '' && c !== '.');
      if (comps.includes('..')) return undefined;
      const dataAt = off;
      off += size + padding(size);
      if (comps.length === 0) continue; // the context root: the extractor leaves it as it is
      let parent = root;
      for (const c of comps.slice(0, -1)) {
        let n = parent.children!.get(c);
        if (!n) {
          n = dirNode(0o755, true);
          parent.children!.set(c, n);
        } else if (!n.dir) return undefined;
        parent = n;
      }
      const base = comps[comps.length - 1];
      const existing = parent.children!.get(base);
      const mode = raw.mode & 0o7777;
      if (existing) {
        // A directory listed after its entries: the extractor applies its mode to the one it made.
        if (!(existing.dir && existing.implied && type === 'dir')) return undefined;
        existing.mode = mode;
        existing.implied = false;
        continue;
      }
      parent.children!.set(
        base,
        type === 'dir' ? dirNode(mode, false) : { dir: false, mode, size, offset: dataAt },
      );
    }
    // The CLI's `-f -` context ends right after the last file's data, without an end marker.
    return off >= spool.size ? root : undefined;
  } catch {
    return undefined;
  }
}

/** The node at `rel` (moby's path rules: `..` stops at the root); null when the path goes through a file. */
export function lookup(root: CtxNode, rel: string): CtxNode | undefined | null {
  const comps: string[] = [];
  for (const c of rel.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') comps.pop();
    else comps.push(c);
  }
  let n = root;
  for (const c of comps) {
    if (!n.dir) return null;
    const next = n.children!.get(c);
    if (!next) return undefined;
    n = next;
  }
  return n;
}
