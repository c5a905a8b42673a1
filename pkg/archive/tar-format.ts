// The tar format itself (the one encoder and decoder of the project): 512-byte ustar/GNU header blocks and PAX records, both ways. Kept byte-exact
// (PAX values are Buffers) so binary xattrs such as security.capability survive a round trip.
import { invalidArgument } from '../../api/errdefs.js';

export const BLOCK = 512;

export type EntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarHeader {
  name: string;
  type: EntryType;
  /** Permission bits, including setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of data that follow the header (always 0 for header-only types). */
  size: number;
  mtimeNs: bigint;
  atimeNs?: bigint;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** From PAX `SCHILY.xattr.<name>` records. */
  xattrs: Map<string, Buffer>;
}

/** One header block as stored, before PAX and GNU long-name records are applied to it. */
export interface RawHeader {
  typeflag: string;
  name: string;
  linkname: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: bigint;
  devmajor: number;
  devminor: number;
}

const typeByFlag: Record<string, EntryType> = {
  '0': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};
const flagByType: Record<EntryType, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

export const XATTR_PREFIX = 'SCHILY.xattr.';

/** The entry type of a typeflag; undefined for metadata records and unsupported types. */
export function entryTypeOf(typeflag: string, name: string): EntryType | undefined {
  if (typeflag === '\0') return name.endsWith('/') ? 'dir' : 'file';
  return typeByFlag[typeflag];
}

/** Types whose header is never followed by data, whatever their size field says. */
export function isHeaderOnly(t: EntryType): boolean {
  return t !== 'file';
}

export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function str(b: Buffer, off: number, len: number): string {
  const f = b.subarray(off, off + len);
  const nul = f.indexOf(0);
  return f.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function numeric(b: Buffer, off: number, len: number, field: string): bigint {
  const f = b.subarray(off, off + len);
  if (f[0] & 0x80) {
    // Base-256 (GNU): the first byte's top bit marks it, the next bit is the sign.
    const inv = f[0] & 0x40 ? 0xff : 0;
    let x = 0n;
    for (let i = 0; i < len; i++) x = (x << 8n) | BigInt((f[i] ^ inv) & (i === 0 ? 0x7f : 0xff));
    return inv ? -x - 1n : x;
  }
  const s = f.toString('latin1').replace(/^[ \0]+|[ \0]+$/g, '');
  if (s === '') return 0n;
  if (!/^[0-7]+$/.test(s))
    throw invalidArgument(`invalid tar header: bad ${field} field ${JSON.stringify(s)}`);
  return BigInt(`0o${s}`);
}

function small(v: bigint, field: string): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER))
    throw invalidArgument(`invalid tar header: ${field} out of range`);
  return Number(v);
}

/** Decodes one non-zero header block; throws invalidArgument on a bad checksum or field. */
export function parseBlock(b: Buffer): RawHeader {
  const stored = numeric(b, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  if (stored !== BigInt(unsigned) && stored !== BigInt(signed)) {
    throw invalidArgument(
      'invalid tar header: checksum mismatch (is the layer corrupt or still compressed?)',
    );
  }
  let name = str(b, 0, 100);
  const magic = b.subarray(257, 263).toString('latin1');
  if (magic === 'ustar\0') {
    const prefix = str(b, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    typeflag: String.fromCharCode(b[156]),
    name,
    linkname: str(b, 157, 100),
    mode: small(numeric(b, 100, 8, 'mode'), 'mode'),
    uid: small(numeric(b, 108, 8, 'uid'), 'uid'),
    gid: small(numeric(b, 116, 8, 'gid'), 'gid'),
    size: small(numeric(b, 124, 12, 'size'), 'size'),
    mtime: numeric(b, 136, 12, 'mtime'),
    devmajor: small(numeric(b, 329, 8, 'devmajor'), 'devmajor'),
    devminor: small(numeric(b, 337, 8, 'devminor'), 'devminor'),
  };
}

/** Parses "<len> <key>=<value>\n" records; values stay raw bytes. */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break; // NUL padding after the last record
    const sp = data.indexOf(0x20, off);
    const len = sp > off ? Number(data.subarray(off, sp).toString('latin1')) : NaN;
    if (
      !Number.isInteger(len) ||
      len <= sp - off ||
      off + len > data.length ||
      data[off + len - 1] !== 0x0a
    ) {
      throw invalidArgument('invalid tar header: malformed PAX record');
    }
    const rec = data.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw invalidArgument('invalid tar header: malformed PAX record');
    out.set(rec.subarray(0, eq).toString('utf8'), Buffer.from(rec.subarray(eq + 1)));
    off += len;
  }
  return out;
}

/** Parses a PAX time ("1700000000.123456789", maybe negative) into nanoseconds. */
export function parsePaxTime(v: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(v);
  if (!m) throw invalidArgument(`invalid tar header: bad PAX time ${JSON.stringify(v)}`);
  const ns = BigInt(m[2]) * 1_000_000_000n + BigInt((m[3] ?? '').slice(0, 9).padEnd(9, '0'));
  return m[1] ? -ns : ns;
}

function formatPaxTime(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  const frac = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${abs / 1_000_000_000n}${frac ? `.${frac}` : ''}`;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + String(body.length).length;
  if (String(len).length > String(body.length).length) len++;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

const isAscii = (s: string): boolean => /^[\x01-\x7f]*$/.test(s);

/** Splits a name into ustar's prefix (155) and name (100) fields, or undefined if it cannot fit. */
function splitUstar(name: string): [string, string] | undefined {
  if (!isAscii(name)) return undefined;
  if (name.length <= 100) return ['', name];
  // The prefix must not be empty: a reader joins "prefix/name" only when there is a prefix, so a
  // split at a leading "/" would drop it.
  for (let i = name.indexOf('/', 1); i >= 0; i = name.indexOf('/', i + 1)) {
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0)
      return [name.slice(0, i), name.slice(i + 1)];
  }
  return undefined;
}

function putString(b: Buffer, off: number, len: number, s: string): void {
  Buffer.from(s, 'utf8').subarray(0, len).copy(b, off);
}

function putNumeric(b: Buffer, off: number, len: number, v: bigint): void {
  if (v >= 0n && v < 8n ** BigInt(len - 1)) {
    b.write(`${v.toString(8).padStart(len - 1, '0')}\0`, off, 'latin1');
    return;
  }
  let x = v < 0n ? -v - 1n : v;
  for (let i = len - 1; i >= 0; i--) {
    b[off + i] = Number(x & 0xffn) ^ (v < 0n ? 0xff : 0);
    x >>= 8n;
  }
  b[off] = v < 0n ? 0xff : 0x80;
}

function ustarBlock(h: RawHeader): Buffer {
  const b = Buffer.alloc(BLOCK);
  const [prefix, name] = splitUstar(h.name) ?? ['', h.name];
  putString(b, 0, 100, name);
  putNumeric(b, 100, 8, BigInt(h.mode));
  putNumeric(b, 108, 8, BigInt(h.uid));
  putNumeric(b, 116, 8, BigInt(h.gid));
  putNumeric(b, 124, 12, BigInt(h.size));
  putNumeric(b, 136, 12, h.mtime);
  b.write(h.typeflag, 156, 'latin1');
  putString(b, 157, 100, h.linkname);
  b.write('ustar\x0000', 257, 'latin1');
  putNumeric(b, 329, 8, BigInt(h.devmajor));
  putNumeric(b, 337, 8, BigInt(h.devminor));
  putString(b, 345, 155, prefix);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

/** The header blocks of one entry: a PAX header first when ustar fields cannot hold everything. */
export function encodeHeader(h: TarHeader): Buffer {
  const name = h.type === 'dir' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const pax = new Map<string, Buffer>();
  if (!splitUstar(name)) pax.set('path', Buffer.from(name));
  if (h.linkname && (!isAscii(h.linkname) || h.linkname.length > 100))
    pax.set('linkpath', Buffer.from(h.linkname));
  const max7 = 0o7777777;
  if (h.uid > max7) pax.set('uid', Buffer.from(String(h.uid)));
  if (h.gid > max7) pax.set('gid', Buffer.from(String(h.gid)));
  if (h.size > 0o77777777777) pax.set('size', Buffer.from(String(h.size)));
  const sec = h.mtimeNs / 1_000_000_000n - (h.mtimeNs % 1_000_000_000n < 0n ? 1n : 0n);
  if (h.mtimeNs % 1_000_000_000n !== 0n || sec < 0n || sec > 0o77777777777n) {
    pax.set('mtime', Buffer.from(formatPaxTime(h.mtimeNs)));
  }
  if (h.atimeNs !== undefined) pax.set('atime', Buffer.from(formatPaxTime(h.atimeNs)));
  for (const [k, v] of h.xattrs) pax.set(`${XATTR_PREFIX}${k}`, v);

  const main = ustarBlock({
    typeflag: flagByType[h.type],
    name: pax.has('path') ? name.replace(/[^\x01-\x7f]/g, '_') : name,
    linkname: pax.has('linkpath') ? '' : h.linkname,
    mode: h.mode & 0o7777,
    uid: pax.has('uid') ? 0 : h.uid,
    gid: pax.has('gid') ? 0 : h.gid,
    size: pax.has('size') ? 0 : h.size,
    mtime: sec < 0n || sec > 0o77777777777n ? 0n : sec,
    devmajor: h.devmajor,
    devminor: h.devminor,
  });
  if (pax.size === 0) return main;
  const records = Buffer.concat([...pax.keys()].sort().map((k) => paxRecord(k, pax.get(k) as Buffer)));
  const base = name.replace(/\/$/, '').split('/').pop() ?? '';
  const paxHead = ustarBlock({
    typeflag: 'x',
    name: `PaxHeaders.0/${base}`.replace(/[^\x01-\x7f]/g, '_').slice(0, 100),
    linkname: '',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: records.length,
    mtime: 0n,
    devmajor: 0,
    devminor: 0,
  });
  return Buffer.concat([paxHead, records, Buffer.alloc(padding(records.length)), main]);
}
