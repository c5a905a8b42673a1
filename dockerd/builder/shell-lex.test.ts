import { describe, expect, it } from 'vitest';
import { envLookup, processWord, splitWords } from './shell-lex.js';

const env = envLookup(['A=a', 'EMPTY=', 'SP=x y']);
const w = (s: string, escape = '\\') => processWord(s, env, escape);

describe("Docker's word expansion", () => {
  it('substitutes $V and ${V}, unset as empty', () => {
    expect(w('$A-${A}-$NOPE-${NOPE}')).toBe('a-a--');
    expect(w('$')).toBe('$');
    expect(w('a$')).toBe('a$');
  });

  it('applies :-, -, :+, + and :?', () => {
    expect(w('${NOPE:-d} ${EMPTY:-d} ${EMPTY-d} ${A:-d}')).toBe('d d  a');
    expect(w('${A:+set} ${EMPTY:+set} ${EMPTY+set} ${NOPE+set}')).toBe('set  set ');
    expect(w('${NOPE:-${A}}')).toBe('a');
    expect(() => w('${NOPE:?must be set}')).toThrow('NOPE: must be set');
  });

  it('removes quotes, keeps single-quoted text literal and honours escapes', () => {
    expect(w(`'$A' "$A" \\$A "\\$A" "\\n"`)).toBe('$A a $A $A \\n');
    expect(w('`$A', '`')).toBe('$A');
    expect(w('"a b"c')).toBe('a bc');
  });

  it('refuses bad substitutions', () => {
    expect(() => w('${}')).toThrow('bad substitution');
    expect(() => w('${A')).toThrow();
  });

  it('splits words on unquoted blanks, keeping quotes for the later expansion', () => {
    expect(splitWords('a=b c="d e"  f=\'g h\'')).toEqual(['a=b', 'c="d e"', "f='g h'"]);
    expect(splitWords('a\\ b c')).toEqual(['a\\ b', 'c']);
  });
});
