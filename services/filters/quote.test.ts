import { describe, it, expect } from 'vitest';
import { decodeBytes, unquote } from './quote.js';

describe('unquote', () => {
  it('strips the quotes of the three styles', () => {
    expect(unquote('"a b"')).toBe('a b');
    expect(unquote('/a"b/')).toBe('a"b');
    expect(unquote('|a/b|')).toBe('a/b');
  });

  it('decodes Go escapes', () => {
    expect(unquote('"\\a\\b\\f\\n\\r\\t\\v\\\\"')).toBe('\x07\b\f\n\r\t\v\\');
    expect(unquote('"\\x41\\101\\u00e9\\U0001F600"')).toBe('AAé😀');
    expect(unquote('"\\xe7\\x89\\x9b"')).toBe('牛');
  });

  it("unescapes only the literal's own quote", () => {
    expect(unquote('"\\""')).toBe('"');
    expect(unquote('/\\//')).toBe('/');
    expect(unquote('|\\||')).toBe('|');
    expect(() => unquote('"\\/"')).toThrow('quote syntax error');
    expect(() => unquote('"\\\'"')).toThrow('quote syntax error');
  });

  it('refuses out-of-range escapes', () => {
    expect(() => unquote('"\\400"')).toThrow('quote syntax error');
    expect(() => unquote('"\\U00110000"')).toThrow('quote syntax error');
    expect(() => unquote('"\\x4"')).toThrow('quote syntax error');
    expect(() => unquote('"a')).toThrow('quote syntax error');
  });

  it('turns a surrogate escape into U+FFFD, as Go does', () => {
    expect(unquote('"\\ud800"')).toBe('\ufffd');
  });

  it('keeps bytes that are not UTF-8 apart from every real string', () => {
    expect(unquote('"\\xff"')).toBe('\udcff');
    expect(decodeBytes([0x61, 0xc3, 0x28, 0xed, 0xa0, 0x80])).toBe('a\udcc3(\udced\udca0\udc80');
    expect(decodeBytes([0xf0, 0x9f, 0x98, 0x80])).toBe('😀');
  });
});
