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
  /** Where each in-memory chunk starts. */
  private starts: number[] = [];
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
    if (b.length === 0) return;
    if (this.fd === undefined && this.size + b.length > this.memoryLimit) {
      this.fd = openSync(this.file, 'w+', 0o600);
      for (const c of this.chunks) this.writeAll(c);
      this.chunks = [];
      this.starts = [];
    }
    if (this.fd !== undefined) this.writeAll(b);
    else {
      this.chunks.push(b);
      this.starts.push(this.size);
    }
    this.size += b.length;
  }

  /** `len` bytes at `off` (fewer at the end). */
  read(off: number, len: number): Buffer {
    len = Math.max(0, Math.min(len, this.size - off));
    if (this.fd === undefined) {
      // The chunk holding `off` (binary search), then as many as the range spans.
      let lo = 0;
      let hi = this.starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.starts[mid] <= off) lo = mid;
        else hi = mid - 1;
      }
      const first = this.chunks[lo];
      const at = off - (this.starts[lo] ?? 0);
      if (!first || at + len <= first.length) return (first ?? Buffer.alloc(0)).subarray(at, at + len);
      const parts = [first.subarray(at)];
      let got = parts[0].length;
      for (let i = lo + 1; got < len; i++) {
        const piece = this.chunks[i].subarray(0, len - got);
        parts.push(piece);
        got += piece.length;
      }
      return Buffer.concat(parts, len);
    }
    const out = Buffer.allocUnsafe(len);
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
    this.starts = [];
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

/**
 * Indexes a context tar as it arrives: `advance` after each write to the spool (entries whose
 * header and data have come are indexed), `finish` once it has all come: the index, or undefined
 * when the tar is anything but plain.
 */
export class TarIndexer {
  private readonly root = dirNode(0o755, false);
  private off = 0;
  private pax: Map<string, Buffer> | undefined;
  private longName: string | undefined;
  /** undefined: going on; false: not plain; true: end marker seen. */
  private state: boolean | undefined;

  constructor(private readonly spool: Spool) {}

  advance(): void {
    try {
      while (this.state === undefined && this.step());
    } catch {
      this.state = false;
    }
  }

  finish(): CtxNode | undefined {
    this.advance();
    if (this.state === false) return undefined;
    // The CLI's `-f -` context ends right after the last file's data, without an end marker.
    if (this.state === undefined && this.off < this.spool.size) return undefined;
    return this.root;
  }

  /** Indexes one record if it has fully arrived; false to wait for more. */
  private step(): boolean {
    const spool = this.spool;
    let off = this.off;
    if (off + 512 > spool.size) return false;
    const block = spool.read(off, 512);
    if (isZeroBlock(block)) {
      this.state = true;
      return false;
    }
    const raw = parseBlock(block);
    off += 512;
    if (raw.typeflag === 'x' || raw.typeflag === 'L' || raw.typeflag === 'g') {
      if (raw.size > 1 << 20) return this.notPlain();
      if (off + raw.size > spool.size) return false;
      const data = spool.read(off, raw.size);
      this.off = off + raw.size + padding(raw.size);
      if (raw.typeflag === 'x') {
        this.pax = parsePax(data);
        if ([...this.pax.keys()].some((k) => !HARMLESS_PAX.test(k))) return this.notPlain();
      } else if (raw.typeflag === 'L') {
        const nul = data.indexOf(0);
        this.longName = (nul < 0 ? data : data.subarray(0, nul)).toString('utf8');
      }
      return true;
    }
    const name = this.pax?.get('path')?.toString('utf8') ?? this.longName ?? raw.name;
    const type = entryTypeOf(raw.typeflag, name);
    if (type !== 'file' && type !== 'dir') return this.notPlain();
    const size = type === 'file' ? raw.size : 0;
    // The data must have come (its padding may be missing at the very end).
    if (off + size > spool.size) return false;
    this.pax = undefined;
    this.longName = undefined;
    this.off = off + size + padding(size);
    if (name.includes('\0')) return this.notPlain();
    const comps = name.split('/').filter((c) => c !== '' && c !== '.');
    if (comps.includes('..')) return this.notPlain();
    if (comps.length === 0) return true; // the context root: the extractor leaves it as it is
    let parent = this.root;
    for (const c of comps.slice(0, -1)) {
      let n = parent.children!.get(c);
      if (!n) {
        n = dirNode(0o755, true);
        parent.children!.set(c, n);
      } else if (!n.dir) return this.notPlain();
      parent = n;
    }
    const base = comps[comps.length - 1];
    const existing = parent.children!.get(base);
    const mode = raw.mode & 0o7777;
    if (existing) {
      // A directory listed after its entries: the extractor applies its mode to the one it made.
      if (!(existing.dir && existing.implied && type === 'dir')) return this.notPlain();
      existing.mode = mode;
      existing.implied = false;
      return true;
    }
    parent.children!.set(
      base,
      type === 'dir' ? dirNode(mode, false) : { dir: false, mode, size, offset: off },
    );
    return true;
  }

  private notPlain(): false {
    this.state = false;
    return false;
  }
}

/** The index of a whole spooled tar (see TarIndexer). */
export function indexTar(spool: Spool): CtxNode | undefined {
  return new TarIndexer(spool).finish();
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
