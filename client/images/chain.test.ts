import { describe, expect, it } from 'vitest';
import { chainIds } from './chain.js';

describe('chainIds', () => {
  it('computes the chain ids containerd computes (values from a real ctr pull)', () => {
    // From the golden trace: a two-layer image unpacked by containerd 1.6.
    const ids = chainIds([
      'sha256:bc1a69c35d09d251da99220121b6871d750304979b57b478ba8112b78779497e',
      'sha256:d52d8e1428a630e4df081c6c1be7b30a725574daec38c37cf68e39240a70e14e',
    ]);
    expect(ids[0]).toBe('sha256:bc1a69c35d09d251da99220121b6871d750304979b57b478ba8112b78779497e');
    expect(ids[1]).toBe('sha256:4e76a94c1edfd300b5b1b326fe7f21892897ab64b768ee89f3b934a75a9c3519');
  });
});
