import { describe, expect, it } from 'vitest';
import { FrameReader, HEADER_LENGTH, MESSAGE_LENGTH_MAX, encodeFrame } from './frame.js';
import type { Frame, FrameHeader } from './frame.js';

function collect(): { reader: FrameReader; frames: Frame[]; oversized: FrameHeader[] } {
  const frames: Frame[] = [];
  const oversized: FrameHeader[] = [];
  const reader = new FrameReader(
    (f) => frames.push(f),
    (h) => oversized.push(h),
  );
  return { reader, frames, oversized };
}

describe('ttrpc framing', () => {
  it('writes the 10-byte big-endian header', () => {
    const f = encodeFrame(0x01020305, 1, Buffer.from('abc'), 0x7f);
    expect([...f]).toEqual([0, 0, 0, 3, 1, 2, 3, 5, 1, 0x7f, 0x61, 0x62, 0x63]);
  });

  it('reads frames merged into one chunk', () => {
    const { reader, frames } = collect();
    reader.push(
      Buffer.concat([
        encodeFrame(1, 1, Buffer.from('one')),
        encodeFrame(3, 2, Buffer.alloc(0)),
        encodeFrame(5, 1, Buffer.from('three')),
      ]),
    );
    expect(frames.map((f) => [f.streamId, f.type, f.payload.toString()])).toEqual([
      [1, 1, 'one'],
      [3, 2, ''],
      [5, 1, 'three'],
    ]);
  });

  it('reads frames split at every byte', () => {
    const { reader, frames } = collect();
    const bytes = Buffer.concat([
      encodeFrame(7, 2, Buffer.from('hello')),
      encodeFrame(9, 2, Buffer.from('!')),
    ]);
    for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1));
    expect(frames.map((f) => `${f.streamId}:${f.payload.toString()}`)).toEqual(['7:hello', '9:!']);
  });

  it('accepts exactly 4 MiB and skips anything longer, then carries on', () => {
    const { reader, frames, oversized } = collect();
    const max = encodeFrame(1, 1, Buffer.alloc(MESSAGE_LENGTH_MAX, 1));
    expect(max.length).toBe(HEADER_LENGTH + 4 * 1024 * 1024);
    reader.push(max);
    expect(frames).toHaveLength(1);
    expect(frames[0].payload.length).toBe(MESSAGE_LENGTH_MAX);

    const header = Buffer.alloc(HEADER_LENGTH);
    header.writeUInt32BE(MESSAGE_LENGTH_MAX + 1, 0);
    header.writeUInt32BE(3, 4);
    header.writeUInt8(1, 8);
    const body = Buffer.alloc(MESSAGE_LENGTH_MAX + 1);
    const next = encodeFrame(5, 1, Buffer.from('after'));
    const all = Buffer.concat([header, body, next]);
    for (let i = 0; i < all.length; i += 65536) reader.push(all.subarray(i, i + 65536));
    expect(oversized).toEqual([{ length: MESSAGE_LENGTH_MAX + 1, streamId: 3, type: 1, flags: 0 }]);
    expect(frames.map((f) => f.streamId)).toEqual([1, 5]);
    expect(frames[1].payload.toString()).toBe('after');
  });

  it('refuses to encode more than 4 MiB', () => {
    expect(() => encodeFrame(1, 1, Buffer.alloc(MESSAGE_LENGTH_MAX + 1))).toThrow(
      /exceed maximum message size of 4194304/,
    );
  });
});
