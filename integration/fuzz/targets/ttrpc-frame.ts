// The ttrpc frame decoder (api/ttrpc/frame.ts): any byte stream, in any split, yields the same
// frames; a frame never claims more than it carries, and oversized frames are skipped, not buffered.
import { FrameReader, HEADER_LENGTH, MESSAGE_LENGTH_MAX, type Frame } from '../../../api/ttrpc/frame.js';
import { Request } from '../../../api/gen/ttrpc/request.js';
import { fromKeyValues, namespaceOf } from '../../../api/ttrpc/metadata.js';
import type { FuzzTarget } from '../engine.js';
import { typedRefusal, Violation } from './expect.js';

function frames(data: Buffer, split: number[]): string[] {
  const out: string[] = [];
  const r = new FrameReader(
    (f: Frame) => {
      if (f.payload.length !== f.length)
        throw new Violation(`frame of length ${f.length} carries ${f.payload.length}`);
      out.push(`${f.streamId}/${f.type}/${f.flags}/${f.payload.toString('hex')}`);
    },
    (h) => {
      if (h.length <= MESSAGE_LENGTH_MAX) throw new Violation(`frame of ${h.length} bytes called oversized`);
      out.push(`oversized ${h.streamId}/${h.length}`);
    },
  );
  let pos = 0;
  for (const n of split) {
    r.push(data.subarray(pos, pos + n));
    pos += n;
  }
  r.push(data.subarray(pos));
  return out;
}

export function ttrpcFrameTarget(): FuzzTarget {
  return {
    name: 'ttrpc-frame',
    maxLen: 8192,
    dict: [
      '\x00\x00\x00\x00',
      '\x00\x40\x00\x00',
      '\x00\x40\x00\x01',
      '\x01',
      '\x02',
      '\x0a\x04task',
      '\x12\x06Create',
    ],
    expected: typedRefusal,
    run(data) {
      const whole = frames(data, []);
      const bytes = frames(
        data,
        Array.from({ length: Math.min(data.length, 64) }, () => 1),
      );
      const odd = frames(data, [HEADER_LENGTH - 3, 7, 1, 100]);
      if (whole.join() !== bytes.join() || whole.join() !== odd.join())
        throw new Violation('frames differ with the chunk split');
      // Payloads of request frames decode as ttrpc Requests or are refused by the decoder.
      for (const f of whole) {
        const [head, hex] = [f.split('/').slice(0, 3), f.split('/')[3]];
        if (head[1] !== '1' || hex === undefined) continue;
        let req;
        try {
          req = Request.decode(Buffer.from(hex, 'hex'));
        } catch (err) {
          // The server answers InvalidArgument with the decoder's message, whatever it throws.
          if (!(err instanceof Error)) throw err;
          continue;
        }
        namespaceOf(fromKeyValues(req.metadata));
      }
    },
  };
}
