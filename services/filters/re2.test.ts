import { describe, it, expect } from 'vitest';
import { compileGoRegexp } from './re2.js';

/** Which of `subjects` the Go pattern finds a match in; undefined if it does not compile. */
function matches(pattern: string, subjects: string[]): string[] | undefined {
  const re = compileGoRegexp(pattern);
  return re && subjects.filter((s) => re.test(s));
}

// Expected results were checked against Go 1.19's regexp package.
describe('compileGoRegexp', () => {
  it('searches without anchoring', () => {
    expect(matches('b', ['abc', 'xyz'])).toEqual(['abc']);
    expect(matches('^a', ['abc', 'bac'])).toEqual(['abc']);
  });

  it('translates Go-only syntax', () => {
    expect(matches('(?P<id>ab)+', ['abab', 'ba'])).toEqual(['abab']);
    expect(matches('(?P<n>a)(?P<n>b)', ['ab'])).toEqual(['ab']); // Go allows a repeated name
    expect(matches('\\pL\\p{Greek}', ['aΩ', 'a1'])).toEqual(['aΩ']);
    expect(matches('\\p{^Greek}', ['Ω', 'a'])).toEqual(['a']);
    expect(matches('[[:alpha:]][[:^digit:]]', ['ab', 'a1'])).toEqual(['ab']);
    expect(matches('\\Q.*\\E', ['.*', 'ab'])).toEqual(['.*']);
    expect(matches('\\Aab\\z', ['ab', 'ab\n', 'xab'])).toEqual(['ab']);
    expect(matches('\\x{1F600}|\\x41|\\101|\\a', ['😀', 'A', '\x07', 'b'])).toEqual(['😀', 'A', '\x07']);
    expect(matches('\\-\\:\\/\\ ', ['-:/ '])).toEqual(['-:/ ']);
    expect(matches('a{,2}}]', ['a{,2}}]', 'aa'])).toEqual(['a{,2}}]']);
    expect(matches('a{01}', ['a{01}', 'a'])).toEqual(['a{01}']);
    expect(matches('[]a]', [']', 'a', 'b'])).toEqual([']', 'a']);
    expect(matches('[^]a]', [']', 'a', 'b'])).toEqual(['b']);
    expect(matches('^*a', ['a'])).toEqual(['a']);
  });

  it('keeps Go meanings where JS differs', () => {
    expect(matches('^.$', ['\r', '\u2028', '\n', '😀'])).toEqual(['\r', '\u2028', '😀']);
    expect(matches('(?s)^.$', ['\n'])).toEqual(['\n']);
    expect(matches('\\s', ['\t', '\u00a0', '\v'])).toEqual(['\t']);
    expect(matches('(?m)^b$', ['a\nb', 'a\rb'])).toEqual(['a\nb']);
    expect(matches('a$', ['a\n', 'a'])).toEqual(['a']);
    expect(matches('(?i)k', ['K', '\u212a'])).toEqual(['K', '\u212a']);
    expect(matches('(?i)[^k]', ['K', '\u212a', 'x'])).toEqual(['x']);
    expect(matches('(?i)[[:^lower:]]', ['A', 'ſ', '1'])).toEqual(['1']);
    expect(matches('(?i)\\W', ['k', '\u212a', '-'])).toEqual(['-']);
    expect(matches('\\pC', ['\u0378', '\u00ad'])).toEqual(['\u00ad']); // Go's C leaves out unassigned
  });

  it('scopes flags to their group', () => {
    expect(matches('a(?s:.)b.', ['a\nbc', 'a\nb\n'])).toEqual(['a\nbc']);
    expect(matches('(?:(?m)^b)|^c', ['a\nb', 'a\nc'])).toEqual(['a\nb']);
    expect(matches('(?i:AB)', ['ab'])).toEqual(['ab']);
  });

  it('lets a flag group end a run of repetitions, as Go does', () => {
    expect(matches('^a*(?s)*$', ['aaa'])).toEqual(['aaa']);
  });

  it('refuses what Go refuses', () => {
    for (const p of [
      '[',
      'a)',
      '(a',
      '*a',
      'a**',
      'a{1001}',
      'a{2,1}',
      '(?=a)',
      '(?!a)',
      '(?<=a)',
      '(?<n>a)',
      '(?P<a-b>c)',
      '(a)\\1',
      '\\8',
      '\\C',
      '\\Z',
      '\\é',
      '\\x{110000}',
      '\\x4',
      '\\p{Grek}',
      '\\p{Nope}',
      '[:foo:]x[[:foo:]]',
      '[z-a]',
      '[a-\\d]',
      '(?-)',
      'x\\',
      '\udcff', // an escaped byte that is not UTF-8, see quote.ts
    ]) {
      expect(compileGoRegexp(p), p).toBeUndefined();
    }
  });

  it('cannot mix case-sensitive and case-insensitive parts', () => {
    expect(compileGoRegexp('a(?i)b')).toBeUndefined();
    expect(compileGoRegexp('(?i:a)b')).toBeUndefined();
    expect(compileGoRegexp('(?i)a(?-i)b')).toBeUndefined();
    expect(compileGoRegexp('(?i)a.\\d(?-i)')).toBeDefined();
  });
});
