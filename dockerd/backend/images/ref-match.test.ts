import { describe, expect, it } from 'vitest';
import { globRegex, matchesAnyReference } from './ref-match.js';

const m = (patterns: string[], ref: string) => matchesAnyReference(patterns.map(globRegex), ref);

describe("the image list's reference filter", () => {
  it('matches the familiar reference or its name, with path patterns, any of several', () => {
    expect(m(['busybox'], 'busybox:latest')).toBe(true);
    expect(m(['busybox:latest'], 'busybox:latest')).toBe(true);
    expect(m(['busy*'], 'busybox:latest')).toBe(true);
    expect(m(['*'], 'user/app:1')).toBe(false); // '*' stops at '/'
    expect(m(['*/*'], 'user/app:1')).toBe(true);
    expect(m(['user/app:?'], 'user/app:1')).toBe(true);
    expect(m(['nope', 'user/[a-c]pp'], 'user/app:1')).toBe(true);
    expect(m(['127.0.0.1:5000/x'], '127.0.0.1:5000/x:latest')).toBe(true);
    expect(m(['127.0.0.1:5000/x'], '127.0.0.1:5000/x@sha256:abc')).toBe(true);
    expect(m(['other'], 'busybox:latest')).toBe(false);
  });

  it('refuses a malformed pattern', () => {
    expect(() => globRegex('a[')).toThrow('syntax error in pattern');
    expect(() => globRegex('a\\')).toThrow('syntax error in pattern');
  });
});
