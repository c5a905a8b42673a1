// Writing tars: entries become byte chunks (header blocks, data, padding) pulled by a Readable, so a
// slow reader holds the producer back and a reader that goes away stops it (the generator's
// `finally` blocks close what it opened).
import { type BigIntStats, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { BLOCK, type TarHeader, encodeHeader, padding } from './tar-format.js';

const READ_CHUNK = 1 << 20;

/** The end-of-archive marker: two zero blocks. */
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);

/** A byte stream of the chunks `tar` yields (it must end with END_OF_ARCHIVE). */
export function tarStream(tar: AsyncGenerator<Buffer>, highWaterMark = 1 << 16): Readable {
  return Readable.from(tar, { objectMode: false, highWaterMark });
}

/** What to do when a file is shorter than the size its header already promised. */
export type OnShrink = 'pad' | 'fail';

/**
 * Exactly `size` bytes of the open file `fd` from offset 0, then the block padding. A file that
 * shrank meanwhile is padded with zeros ('pad', as Go's tar writer users do) or fails ('fail').
 */
export async function* fileData(
  fd: number,
  size: number,
  onShrink: OnShrink,
  shown: string,
): AsyncGenerator<Buffer> {
  let pos = 0;
  while (pos < size) {
    const want = Math.min(READ_CHUNK, size - pos);
    const buf = Buffer.allocUnsafe(want);
    const got = readSync(fd, buf, 0, want, pos);
    if (got === 0) {
      if (onShrink === 'fail') throw new Error(`${shown}: file shrank while being read`);
      buf.fill(0);
      pos += want;
      yield buf;
      continue;
    }
    pos += got;
    yield buf.subarray(0, got);
  }
  if (padding(size) > 0) yield Buffer.alloc(padding(size));
}

/** The header blocks of an entry (its data, if any, follows through fileData). */
export function headerBlocks(h: TarHeader): Buffer {
  return encodeHeader(h);
}

/** Remembers multiply linked files so that their second and later names become hard link entries. */
export class HardLinks {
  /** "dev:ino" → the tar name first stored. */
  private readonly seen = new Map<string, string>();

  /** The tar name this inode was first stored under, or undefined (and `name` is remembered). */
  firstName(st: BigIntStats, name: string): string | undefined {
    if (st.isDirectory() || st.nlink <= 1n) return undefined;
    const key = `${st.dev}:${st.ino}`;
    const first = this.seen.get(key);
    if (first === undefined) this.seen.set(key, name);
    return first;
  }
}
