import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Demuxer, demuxBuffer, frame, muxWriter, type StdFrame } from './stdcopy.js';

describe('stdcopy', () => {
  it('frames payloads', () => {
    expect(frame(1, Buffer.from('hi\n'))).toEqual(Buffer.from([1, 0, 0, 0, 0, 0, 0, 3, 0x68, 0x69, 0x0a]));
    expect(frame(2, 'err\n').subarray(0, 8)).toEqual(Buffer.from([2, 0, 0, 0, 0, 0, 0, 4]));
    const big = Buffer.alloc(70000, 1);
    expect(frame(1, big).readUInt32BE(4)).toBe(70000);
  });

  it('demuxes whole and partial buffers', () => {
    const all = Buffer.concat([frame(1, 'from-stdin\n'), frame(1, 'out\n'), frame(2, 'err\n')]);
    const { frames, rest } = demuxBuffer(all.subarray(0, all.length - 2));
    expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([
      [1, 'from-stdin\n'],
      [1, 'out\n'],
    ]);
    expect(rest.length).toBe(10);
    expect(() => demuxBuffer(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]))).toThrow();
  });

  it('Demuxer handles frames split across chunks', async () => {
    const all = Buffer.concat([frame(1, 'a'), frame(2, 'bb'), frame(3, 'ccc')]);
    const chunks = [...all].map((b) => Buffer.from([b]));
    const out: StdFrame[] = [];
    for await (const f of Readable.from(chunks).pipe(new Demuxer())) out.push(f as StdFrame);
    expect(out.map((f) => [f.stream, f.payload.toString()])).toEqual([
      [1, 'a'],
      [2, 'bb'],
      [3, 'ccc'],
    ]);
  });

  it('Demuxer fails on a truncated frame', async () => {
    const d = new Demuxer();
    const done = new Promise<Error>((resolve) => d.on('error', resolve));
    d.resume();
    d.end(frame(1, 'abc').subarray(0, 9));
    expect((await done).message).toMatch(/inside a frame/);
  });

  it('muxWriter frames each chunk and leaves the target open', async () => {
    const sink = new PassThrough();
    const got: Buffer[] = [];
    sink.on('data', (c: Buffer) => got.push(c));
    const out = muxWriter(sink, 1);
    const err = muxWriter(sink, 2);
    out.write('hello');
    err.write(Buffer.from('oops'));
    out.write('');
    await new Promise<void>((r) => out.end(r));
    await new Promise<void>((r) => err.end(r));
    expect(sink.writableEnded).toBe(false);
    expect(Buffer.concat(got)).toEqual(Buffer.concat([frame(1, 'hello'), frame(2, 'oops')]));
    const closing = muxWriter(sink, 1, { end: true });
    await new Promise<void>((r) => closing.end(r));
    expect(sink.writableEnded).toBe(true);
    // writing to an ended target is dropped, not thrown
    const late = muxWriter(sink, 1);
    await new Promise<void>((r) => late.write('x', () => r()));
  });
});
