// Streaming tar reader: turns a byte stream into entries (header + body), folding PAX and GNU
// long-name records into the entry they describe. Every byte pulled from the source is reported to
// `onData` (the caller hashes and counts the layer with it), including what `drain` reads after the
// end-of-archive marker.
import { invalidArgument } from '../../api/errdefs.js';
import {
  BLOCK,
  type TarHeader,
  XATTR_PREFIX,
  entryTypeOf,
  isHeaderOnly,
  isZeroBlock,
  padding,
  parseBlock,
  parsePax,
  parsePaxTime,
} from './tar-format.js';

const MAX_META = 1 << 20; // PAX / long-name records larger than this are refused

export interface TarEntry {
  header: TarHeader;
  /** The entry's data; must be consumed (or left alone) before asking for the next entry. */
  body(): AsyncGenerator<Buffer>;
}

export class TarReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private readonly source: AsyncIterator<Buffer | string>;

  constructor(
    stream: AsyncIterable<Buffer | string>,
    private readonly onData: (chunk: Buffer) => void,
  ) {
    this.source = stream[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.source.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    this.onData(b);
    if (b.length > 0) {
      this.chunks.push(b);
      this.buffered += b.length;
    }
    return true;
  }

  /** Up to `max` bytes (at least one), or undefined at end of stream. */
  private async some(max: number): Promise<Buffer | undefined> {
    while (this.buffered === 0) if (!(await this.pull())) return undefined;
    const first = this.chunks[0];
    if (first.length <= max) {
      this.chunks.shift();
      this.buffered -= first.length;
      return first;
    }
    this.chunks[0] = first.subarray(max);
    this.buffered -= max;
    return first.subarray(0, max);
  }

  /** Exactly `n` bytes; undefined if the stream ends before the first one. */
  private async exact(n: number): Promise<Buffer | undefined> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const b = await this.some(n - got);
      if (!b) {
        if (got === 0) return undefined;
        throw invalidArgument('invalid tar: unexpected end of archive');
      }
      parts.push(b);
      got += b.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  private async skip(n: number): Promise<void> {
    while (n > 0) {
      const b = await this.some(n);
      if (!b) throw invalidArgument('invalid tar: unexpected end of archive');
      n -= b.length;
    }
  }

  /** Reads (and reports) everything left in the stream. */
  async drain(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    while (await this.pull()) {
      this.chunks = [];
      this.buffered = 0;
    }
  }

  /** Stops reading the source (on error or early exit). */
  async close(): Promise<void> {
    this.ended = true;
    await this.source.return?.();
  }

  async *entries(): AsyncGenerator<TarEntry> {
    let pax: Map<string, Buffer> | undefined;
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const block = await this.exact(BLOCK);
      if (!block || isZeroBlock(block)) return;
      const raw = parseBlock(block);
      if ('xgLK'.includes(raw.typeflag)) {
        if (raw.size > MAX_META)
          throw invalidArgument(`invalid tar: ${raw.typeflag} record of ${raw.size} bytes`);
        const data = (await this.exact(raw.size)) ?? Buffer.alloc(0);
        if (data.length < raw.size) throw invalidArgument('invalid tar: unexpected end of archive');
        await this.skip(padding(raw.size));
        // Global PAX headers are ignored, as Go's archive/tar (and so containerd) does.
        if (raw.typeflag === 'x') pax = parsePax(data);
        else if (raw.typeflag === 'L') longName = cString(data);
        else if (raw.typeflag === 'K') longLink = cString(data);
        continue;
      }
      const rec = (k: string): string | undefined => pax?.get(k)?.toString('utf8');
      const name = rec('path') ?? longName ?? raw.name;
      const type = entryTypeOf(raw.typeflag, name);
      if (!type) {
        throw invalidArgument(
          `tar entry ${JSON.stringify(name)}: unsupported entry type ${JSON.stringify(raw.typeflag)}`,
        );
      }
      if ([...(pax?.keys() ?? [])].some((k) => k.startsWith('GNU.sparse.'))) {
        throw invalidArgument(`tar entry ${JSON.stringify(name)}: sparse files are not supported`);
      }
      const xattrs = new Map<string, Buffer>();
      for (const [k, v] of pax ?? [])
        if (k.startsWith(XATTR_PREFIX)) xattrs.set(k.slice(XATTR_PREFIX.length), v);
      const paxNum = (k: string, fallback: number): number => {
        const v = rec(k);
        if (v === undefined) return fallback;
        if (!/^\d+$/.test(v)) throw invalidArgument(`tar entry ${JSON.stringify(name)}: bad PAX ${k}`);
        return Number(v);
      };
      const mtime = rec('mtime');
      const atime = rec('atime');
      const size = isHeaderOnly(type) ? 0 : paxNum('size', raw.size);
      const header: TarHeader = {
        name,
        type,
        mode: raw.mode & 0o7777,
        uid: paxNum('uid', raw.uid),
        gid: paxNum('gid', raw.gid),
        size,
        mtimeNs: mtime !== undefined ? parsePaxTime(mtime) : raw.mtime * 1_000_000_000n,
        atimeNs: atime !== undefined ? parsePaxTime(atime) : undefined,
        linkname: rec('linkpath') ?? longLink ?? raw.linkname,
        devmajor: raw.devmajor,
        devminor: raw.devminor,
        xattrs,
      };
      pax = undefined;
      longName = undefined;
      longLink = undefined;

      const state = { left: size };
      yield { header, body: () => this.body(state) };
      await this.skip(state.left + padding(size));
    }
  }

  private async *body(state: { left: number }): AsyncGenerator<Buffer> {
    while (state.left > 0) {
      const b = await this.some(state.left);
      if (!b) throw invalidArgument('invalid tar: unexpected end of archive');
      state.left -= b.length;
      yield b;
    }
  }
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul < 0 ? b : b.subarray(0, nul)).toString('utf8');
}
