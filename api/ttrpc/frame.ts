// ttrpc framing (containerd/ttrpc v1.1 channel.go): every message is a 10-byte header followed by its payload.
//   uint32 BE payload length | uint32 BE stream id | uint8 type (1 request, 2 response) | uint8 flags
// Payloads longer than 4 MiB are refused: the reader skips them and reports the header, so the
// receiver can answer that stream with RESOURCE_EXHAUSTED, as ttrpc does.

export const HEADER_LENGTH = 10;
export const MESSAGE_LENGTH_MAX = 4 << 20;

export const MessageType = { Request: 1, Response: 2 } as const;

export interface FrameHeader {
  length: number;
  streamId: number;
  type: number;
  flags: number;
}

export interface Frame extends FrameHeader {
  payload: Buffer;
}

/** The message ttrpc puts in the RESOURCE_EXHAUSTED status of an oversized message. */
export function oversizedMessage(length: number): string {
  return `message length ${length} exceed maximum message size of ${MESSAGE_LENGTH_MAX}`;
}

/** One frame as bytes. Throws a RangeError if the payload is over the limit. */
export function encodeFrame(streamId: number, type: number, payload: Uint8Array, flags = 0): Buffer {
  if (payload.length > MESSAGE_LENGTH_MAX) throw new RangeError(oversizedMessage(payload.length));
  const out = Buffer.allocUnsafe(HEADER_LENGTH + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(streamId >>> 0, 4);
  out.writeUInt8(type, 8);
  out.writeUInt8(flags, 9);
  out.set(payload, HEADER_LENGTH);
  return out;
}

/**
 * Incremental reader: feed it socket chunks in any split; it calls `onFrame` for each complete frame
 * and `onOversized` (with the header) for each frame whose payload it skipped.
 */
export class FrameReader {
  private readonly header = Buffer.alloc(HEADER_LENGTH);
  private headerFill = 0;
  private current: FrameHeader | undefined;
  private body: Buffer | undefined;
  private bodyFill = 0;
  private skip = 0;

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    private readonly onOversized: (header: FrameHeader) => void,
  ) {}

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        this.skip -= n;
        pos += n;
        if (this.skip === 0 && this.current) this.finishOversized(this.current);
        continue;
      }
      if (!this.current) {
        const n = Math.min(HEADER_LENGTH - this.headerFill, chunk.length - pos);
        chunk.copy(this.header, this.headerFill, pos, pos + n);
        this.headerFill += n;
        pos += n;
        if (this.headerFill < HEADER_LENGTH) return;
        this.headerFill = 0;
        const h: FrameHeader = {
          length: this.header.readUInt32BE(0),
          streamId: this.header.readUInt32BE(4),
          type: this.header.readUInt8(8),
          flags: this.header.readUInt8(9),
        };
        this.current = h;
        if (h.length > MESSAGE_LENGTH_MAX) {
          this.skip = h.length;
        } else if (h.length === 0) {
          this.finish(h, Buffer.alloc(0));
        } else {
          this.body = Buffer.allocUnsafe(h.length);
          this.bodyFill = 0;
        }
        continue;
      }
      const body = this.body as Buffer;
      const n = Math.min(body.length - this.bodyFill, chunk.length - pos);
      chunk.copy(body, this.bodyFill, pos, pos + n);
      this.bodyFill += n;
      pos += n;
      if (this.bodyFill === body.length) this.finish(this.current, body);
    }
  }

  private finish(h: FrameHeader, payload: Buffer): void {
    this.current = undefined;
    this.body = undefined;
    this.onFrame({ ...h, payload });
  }

  private finishOversized(h: FrameHeader): void {
    this.current = undefined;
    this.onOversized(h);
  }
}
