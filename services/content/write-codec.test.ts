import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WriteAction, WriteContentRequest } from '../../api/gen/containerd/services/content/v1/content.js';
import { decodeWriteRequest } from './write-codec.js';

describe('decodeWriteRequest', () => {
  const base: WriteContentRequest = {
    action: WriteAction.COMMIT,
    ref: 'layer-sha256:abc',
    total: 5_000_000,
    expected: 'sha256:' + 'b'.repeat(64),
    offset: 1 << 20,
    data: Buffer.alloc(0),
    labels: { 'containerd.io/gc.ref.content.0': 'sha256:' + 'c'.repeat(64), k: 'v' },
  };

  for (const size of [0, 1, 200, 1 << 20]) {
    it(`gives what the generated decoder gives, ${size} data bytes`, () => {
      const wire = Buffer.from(WriteContentRequest.encode({ ...base, data: randomBytes(size) }).finish());
      const ours = decodeWriteRequest(wire);
      const theirs = WriteContentRequest.decode(wire);
      expect({ ...ours, data: Buffer.from(ours.data) }).toEqual({
        ...theirs,
        data: Buffer.from(theirs.data),
      });
      // No copy: the data is a view on the message.
      if (size > 0) expect(ours.data.buffer).toBe(wire.buffer);
    });
  }

  it('keeps the last data field when it is repeated, as protobuf decoders do', () => {
    const one = Buffer.from(WriteContentRequest.encode({ ...base, data: Buffer.from('first') }).finish());
    const two = Buffer.from(
      WriteContentRequest.encode({ ...base, ref: '', labels: {}, data: Buffer.from('second') }).finish(),
    );
    const msg = decodeWriteRequest(Buffer.concat([one, two]));
    expect(Buffer.from(msg.data).toString()).toBe('second');
    expect(msg).toMatchObject({ ref: base.ref, labels: base.labels });
  });
});
