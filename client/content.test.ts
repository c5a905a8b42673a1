import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WriteAction, WriteContentRequest } from '../api/gen/containerd/services/content/v1/content.js';
import { encodeWriteRequest } from './content.js';

describe('encodeWriteRequest', () => {
  const base: WriteContentRequest = {
    action: WriteAction.WRITE,
    ref: 'layer-sha256:abc',
    total: 5_000_000,
    expected: 'sha256:' + 'a'.repeat(64),
    offset: 1 << 20,
    data: Buffer.alloc(0),
    labels: { k: 'v' },
  };

  for (const size of [0, 1, 127, 128, 16_383, 16_384, 1 << 20]) {
    it(`decodes to the same request with ${size} data bytes`, () => {
      const data = randomBytes(size);
      const wire = encodeWriteRequest({ ...base, data });
      const back = WriteContentRequest.decode(wire);
      expect({ ...back, data: Buffer.from(back.data) }).toEqual({ ...base, data });
      // The generated encoder gives the same length (only the field order differs).
      expect(wire.length).toBe(WriteContentRequest.encode({ ...base, data }).finish().length);
    });
  }
});
