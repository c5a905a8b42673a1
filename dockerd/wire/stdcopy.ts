// Docker's stdout/stderr multiplexing (pkg/stdcopy): each frame is an 8-byte header (stream type,
// three zero bytes, big-endian uint32 payload length) followed by the payload.

import { Transform, Writable, type TransformCallback } from 'node:stream';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
/** Error text from the daemon itself. */
export const SYSTEMERR = 3;

export type StdStream = 0 | 1 | 2 | 3;

export interface StdFrame {
  stream: StdStream;
  payload: Buffer;
}

const HEADER = 8;

/** One frame: header + payload. */
export function frame(stream: StdStream, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const out = Buffer.allocUnsafe(HEADER + body.length);
  out.writeUInt32BE(0, 0);
  out[0] = stream;
  out.writeUInt32BE(body.length, 4);
  body.copy(out, HEADER);
  return out;
}

/** Parse as many whole frames as `buf` holds; `rest` is the incomplete tail. */
export function demuxBuffer(buf: Buffer): { frames: StdFrame[]; rest: Buffer } {
  const frames: StdFrame[] = [];
  let off = 0;
  while (buf.length - off >= HEADER) {
    const type = buf[off];
    if (type > 3) throw new Error(`stdcopy: unknown stream type ${type}`);
    const len = buf.readUInt32BE(off + 4);
    if (buf.length - off - HEADER < len) break;
    frames.push({ stream: type as StdStream, payload: buf.subarray(off + HEADER, off + HEADER + len) });
    off += HEADER + len;
  }
  return { frames, rest: buf.subarray(off) };
}

/** Bytes in, StdFrame objects out. Ends with an error if the input stops inside a frame. */
export class Demuxer extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      const { frames, rest } = demuxBuffer(
        this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk,
      );
      this.pending = Buffer.from(rest);
      for (const f of frames) this.push(f);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    cb(this.pending.length ? new Error('stdcopy: stream ended inside a frame') : null);
  }
}

/**
 * Write `data` to `dest` honouring backpressure; `cb` runs once it may write again, and never with an
 * error: a destination that is gone just drops data (the caller learns of it from its own close events).
 */
export function writeTo(dest: Writable, data: Buffer, cb: () => void): void {
  if (dest.destroyed || dest.writableEnded) {
    cb();
    return;
  }
  let ok: boolean;
  try {
    ok = dest.write(data);
  } catch {
    cb();
    return;
  }
  if (ok) {
    cb();
    return;
  }
  const done = (): void => {
    dest.removeListener('drain', done);
    dest.removeListener('close', done);
    dest.removeListener('error', done);
    cb();
  };
  dest.on('drain', done);
  dest.on('close', done);
  dest.on('error', done);
}

/**
 * A Writable that frames every chunk for `stream` and writes it to `sock`. Ending it does not end
 * `sock` (stdout and stderr writers share one connection) unless `opts.end` is set.
 */
export function muxWriter(sock: Writable, stream: 1 | 2 | 3, opts: { end?: boolean } = {}): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (chunk.length === 0) return cb();
      writeTo(sock, frame(stream, chunk), () => cb());
    },
    final(cb) {
      if (opts.end && !sock.writableEnded && !sock.destroyed) sock.end();
      cb();
    },
  });
}
