import { describe, expect, it } from 'vitest';
import { updateLabels } from '../metadata/labels.js';
import * as v from './validate.js';

describe('validation', () => {
  it('accepts identifiers containerd accepts and refuses the rest', () => {
    for (const ok of ['default', 'k8s.io', 'a-b_c.d', 'A1']) expect(v.identifier('namespace', ok)).toBe(ok);
    for (const bad of ['', 'a/b', '-a', 'a..b', 'a b', 'x'.repeat(77), '../x']) {
      expect(() => v.identifier('namespace', bad)).toThrow(
        expect.objectContaining({ kind: 'InvalidArgument' }),
      );
    }
  });

  it('accepts sha256 digests only in canonical form', () => {
    const hex = 'a'.repeat(64);
    expect(v.digest(`sha256:${hex}`)).toBe(`sha256:${hex}`);
    for (const bad of [
      'sha256:zz',
      `sha256:${hex.toUpperCase()}`,
      `sha256:${hex}0`,
      'sha256:../x',
      hex,
      `sha512:${'a'.repeat(128)}`,
    ]) {
      expect(() => v.digest(bad)).toThrow(expect.objectContaining({ kind: 'InvalidArgument' }));
    }
  });

  it('accepts the refs clients use and refuses escaping ones', () => {
    for (const ok of ['layer-sha256:abc', 'tar-blobs/sha256/abc', 'my ref']) expect(v.ref(ok)).toBe(ok);
    for (const bad of ['', '../../x', 'a/../b', '/abs', 'a/./b', 'nul\x00', 'x'.repeat(1025)]) {
      expect(() => v.ref(bad)).toThrow(expect.objectContaining({ kind: 'InvalidArgument' }));
    }
  });

  it('accepts the lease ids ctr makes and refuses control characters', () => {
    for (const ok of ['497870918-_f1_', '45687296-EAF-', 'lease-one']) expect(v.leaseId(ok)).toBe(ok);
    for (const bad of ['', 'a b', 'a\x00b', 'x'.repeat(257)]) {
      expect(() => v.leaseId(bad)).toThrow(expect.objectContaining({ kind: 'InvalidArgument' }));
    }
  });

  it('limits a label to 4096 bytes of key and value', () => {
    expect(() => v.label('k', 'x'.repeat(4095))).not.toThrow();
    expect(() => v.label('k', 'x'.repeat(4096))).toThrow(
      expect.objectContaining({ kind: 'InvalidArgument' }),
    );
  });

  it('applies label updates as containerd does under a field mask', () => {
    const cur = { a: '1', b: '2' };
    expect(updateLabels(cur, { a: '9' }, ['labels.a'])).toEqual({ a: '9', b: '2' });
    expect(updateLabels(cur, {}, ['labels.b'])).toEqual({ a: '1' });
    expect(updateLabels(cur, { c: '3' }, ['labels'])).toEqual({ c: '3' });
    expect(updateLabels(cur, { c: '3', d: '' }, [])).toEqual({ c: '3' });
    expect(() => updateLabels(cur, {}, ['size'])).toThrow(
      expect.objectContaining({ kind: 'InvalidArgument' }),
    );
  });
});
