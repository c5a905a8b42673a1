import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DICTIONARY, SpdySession, type SpdyStream, decodeHeaders, encodeHeaders } from './spdy.js';

/** Frames a SYN_STREAM as a client would (its own deflate context, primed with the dictionary). */
function synStream(z: zlib.Deflate, id: number, headers: Record<string, string>): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const onData = (d: Buffer) => chunks.push(d);
    z.on('data', onData);
    z.write(encodeHeaders(headers));
    z.flush(zlib.constants.Z_SYNC_FLUSH, () =>
      setImmediate(() => {
        z.off('data', onData);
        const block = Buffer.concat(chunks);
        const f = Buffer.alloc(18);
        f.writeUInt16BE(0x8003, 0);
        f.writeUInt16BE(1, 2);
        f.writeUInt32BE(10 + block.length, 4);
        f.writeUInt32BE(id, 8);
        resolve(Buffer.concat([f, block]));
      }),
    );
  });
}

function dataFrame(id: number, d: Buffer, fin: boolean): Buffer {
  const f = Buffer.alloc(8);
  f.writeUInt32BE(id, 0);
  f.writeUInt32BE(d.length, 4);
  f[4] = fin ? 1 : 0;
  return Buffer.concat([f, d]);
}

describe('SPDY/3.1 subset', () => {
  it('builds the SPDY/3 header dictionary byte for byte (1423 bytes, known digest)', () => {
    expect(DICTIONARY.length).toBe(1423);
    expect(createHash('sha256').update(DICTIONARY).digest('hex')).toBe(
      '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02',
    );
  });

  it('round-trips header blocks', () => {
    expect(decodeHeaders(encodeHeaders({ StreamType: 'stdout', port: '80' }))).toEqual({
      streamtype: 'stdout',
      port: '80',
    });
    expect(() => decodeHeaders(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9]))).toThrow(/truncated/);
  });

  it('answers SYN_STREAM with SYN_REPLY, delivers data sent before anyone listened, echoes PING', async () => {
    const wire = new PassThrough();
    const back: Buffer[] = [];
    const duplex = {
      on: (ev: string, fn: (...a: unknown[]) => void) =>
        ev === 'data' ? wire.on('data', fn) : wire.on(ev, fn),
      write: (b: Buffer) => back.push(b),
      end: () => undefined,
      destroy: () => undefined,
    } as unknown as import('node:stream').Duplex;
    const session = new SpdySession(duplex);
    const streams: SpdyStream[] = [];
    session.on('stream', (s: SpdyStream) => streams.push(s));
    const z = zlib.createDeflate({ dictionary: DICTIONARY });
    const syn1 = await synStream(z, 1, { streamtype: 'error' });
    const syn3 = await synStream(z, 3, { streamtype: 'stdin' });
    // Both SYN_STREAMs, stdin data and FIN, and a PING, in one chunk split at an odd place.
    const ping = Buffer.from([0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 7]);
    const all = Buffer.concat([syn1, syn3, dataFrame(3, Buffer.from('hello'), true), ping]);
    wire.write(all.subarray(0, 7));
    wire.write(all.subarray(7));
    await new Promise((r) => setTimeout(r, 50));
    expect(streams.map((s) => s.headers.streamtype)).toEqual(['error', 'stdin']);
    const got: Buffer[] = [];
    await new Promise<void>((resolve) => {
      streams[1].incoming.on('data', (d: Buffer) => got.push(d));
      streams[1].incoming.once('end', () => resolve());
    });
    expect(Buffer.concat(got).toString()).toBe('hello');
    const types = back.filter((b) => b[0] & 0x80).map((b) => b.readUInt16BE(2));
    expect(types).toEqual([2, 2, 6]);
    streams[0].end(Buffer.from('{}'));
    await new Promise((r) => setTimeout(r, 10));
    const data = back.filter((b) => !(b[0] & 0x80));
    expect(data.map((b) => [b.readUInt32BE(0), b[4], b.subarray(8).toString()])).toEqual([
      [1, 0, '{}'],
      [1, 1, ''],
    ]);
  });
});
