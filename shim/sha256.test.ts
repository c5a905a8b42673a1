import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './sha256.js';

const ref = (s: string) => createHash('sha256').update(s).digest('hex');

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vectors', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('matches node:crypto for every length across block boundaries, and for UTF-8 text', () => {
    for (let n = 0; n < 200; n++) {
      const s = randomBytes(n).toString('base64').slice(0, n);
      expect(sha256Hex(s), `length ${n}`).toBe(ref(s));
    }
    const s = 'unix:///run/tsctr/tsctrd.sock/default/ctr-é-✓-🙂';
    expect(sha256Hex(s)).toBe(ref(s));
  });
});
