// The part of the Go-regexp translator (re2.ts) that reads escapes and bracketed classes: the cursor
// over the pattern, the flags in force, and the case-folding decision shared by the whole pattern.
import {
  MAX_RUNE,
  complement,
  foldAscii,
  goCategories,
  goScripts,
  isAlnum,
  perlSpace,
  posixClasses,
  rangeItems,
} from './re2-tables.js';

/** The pattern cannot be used: Go refuses it, or JS cannot express it. */
export class Unusable extends Error {}

export interface Flags {
  fold: boolean; // i
  multiLine: boolean; // m
  dotNL: boolean; // s
}

export class ClassReader {
  protected readonly c: string[];
  protected i = 0;
  protected flags: Flags = { fold: false, multiLine: false, dotNL: false };
  /** Case-folding of the whole pattern, fixed by the first atom whose meaning depends on it. */
  fold: boolean | undefined;

  constructor(pattern: string) {
    this.c = Array.from(pattern);
  }

  protected content(): void {
    if (this.fold === undefined) this.fold = this.flags.fold;
    else if (this.fold !== this.flags.fold) throw new Unusable('mixed case sensitivity');
  }

  /** `\d \D \s \S \w \W` at the cursor, as the inside of a JS class, or undefined. */
  protected perlClass(): string | undefined {
    const e = this.c[this.i + 1];
    if (this.c[this.i] !== '\\' || e === undefined || !/^[dswDSW]$/.test(e)) return undefined;
    this.i += 2;
    // JS's \d \D \w \W are Go's, case folding included; JS's \s would add the Unicode spaces.
    if (e === 's') return rangeItems(perlSpace);
    if (e === 'S') return rangeItems(complement(perlSpace));
    if (e === 'w' || e === 'W') this.content();
    return `\\${e}`;
  }

  /**
   * `\pX`, `\p{Name}`, `\PX`, `\p{^Name}` at the cursor, or undefined. Outside a class the result is a
   * whole JS atom; inside one it is a list of class items.
   */
  protected unicodeClass(inClass: boolean): string | undefined {
    const c = this.c;
    const p = c[this.i + 1];
    if (c[this.i] !== '\\' || (p !== 'p' && p !== 'P')) return undefined;
    let negated = p === 'P';
    let name: string;
    let j = this.i + 2;
    if (j >= c.length) throw new Unusable('bad \\p');
    if (c[j] === '{') {
      const end = c.indexOf('}', j);
      if (end < 0) throw new Unusable('bad \\p{');
      name = c.slice(j + 1, end).join('');
      j = end + 1;
    } else {
      name = c[j];
      j++;
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    this.i = j;
    this.content();
    let items: string;
    if (name === 'Any') items = '\\p{Any}';
    else if (name === 'C') items = '\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}';
    else if (goCategories.has(name)) items = `\\p{gc=${name}}`;
    else if (goScripts.has(name)) items = `\\p{sc=${name}}`;
    else throw new Unusable('unknown class name');
    if (!negated) return inClass ? items : `[${items}]`;
    if (!inClass) return `[^${items}]`;
    // Go folds before negating; JS's \P{..} under ignore-case does not.
    if (this.flags.fold) throw new Unusable('negated class item not expressible');
    // Go's C has no unassigned code points, JS's has (as Cn).
    return name === 'C' ? '\\P{C}\\p{Cn}' : items.replace('\\p{', '\\P{');
  }

  /** A single-character escape after `\` (Go's parseEscape); returns the code point. */
  protected escapeChar(): number {
    const c = this.c;
    const e = c[this.i + 1];
    if (e === undefined) throw new Unusable('trailing backslash');
    this.i += 2;
    const code = e.codePointAt(0) ?? 0;
    // Escaped ASCII punctuation (anything not a letter or digit) stands for itself.
    if (code < 0x80 && !isAlnum(e)) return code;
    const isOct = (s: string | undefined): boolean => s !== undefined && s >= '0' && s <= '7';
    if (e >= '1' && e <= '7' && !isOct(c[this.i])) throw new Unusable('back-references are unsupported');
    if (e >= '0' && e <= '7') {
      let r = code - 0x30;
      for (let k = 1; k < 3 && isOct(c[this.i]); k++) r = r * 8 + (c[this.i++].charCodeAt(0) - 0x30);
      return r;
    }
    if (e === 'x') {
      if (c[this.i] === '{') {
        let r = 0;
        let n = 0;
        for (let j = this.i + 1; j < c.length; j++) {
          if (c[j] === '}') {
            if (n === 0) break;
            this.i = j + 1;
            return r;
          }
          if (!/^[0-9A-Fa-f]$/.test(c[j])) break;
          r = r * 16 + parseInt(c[j], 16);
          if (r > MAX_RUNE) break;
          n++;
        }
        throw new Unusable('bad \\x{...}');
      }
      const hex = (c[this.i] ?? '') + (c[this.i + 1] ?? '');
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Unusable('bad \\x');
      this.i += 2;
      return parseInt(hex, 16);
    }
    const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (Object.hasOwn(simple, e)) return simple[e];
    throw new Unusable('invalid escape sequence');
  }

  /** `[...]` at the cursor, as a JS class. */
  protected charClass(): string {
    const c = this.c;
    this.i++;
    let negated = false;
    if (c[this.i] === '^') {
      negated = true;
      this.i++;
    }
    this.content();
    let items = '';
    let first = true;
    while (this.i >= c.length || c[this.i] !== ']' || first) {
      first = false;
      if (this.i >= c.length) throw new Unusable('missing ]');
      // [:alpha:] and [:^alpha:]; a "[:" with no ":]" anywhere after it is a plain "[".
      if (c[this.i] === '[' && c[this.i + 1] === ':' && this.i + 2 < c.length) {
        let end = -1;
        for (let j = this.i + 2; j + 1 < c.length; j++) {
          if (c[j] === ':' && c[j + 1] === ']') {
            end = j;
            break;
          }
        }
        if (end >= 0) {
          let name = c.slice(this.i + 2, end).join('');
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const ranges = Object.hasOwn(posixClasses, name) ? posixClasses[name] : undefined;
          if (!ranges) throw new Unusable('invalid character class range');
          items += rangeItems(neg ? complement(this.flags.fold ? foldAscii(ranges) : ranges) : ranges);
          this.i = end + 2;
          continue;
        }
      }
      const uni = this.unicodeClass(true);
      if (uni !== undefined) {
        items += uni;
        continue;
      }
      const perl = this.perlClass();
      if (perl !== undefined) {
        items += perl;
        continue;
      }
      const lo = this.classChar();
      let hi = lo;
      if (c[this.i] === '-' && this.i + 1 < c.length && c[this.i + 1] !== ']') {
        this.i++;
        hi = this.classChar();
        if (hi < lo) throw new Unusable('invalid character class range');
      }
      items += rangeItems([[lo, hi]]);
    }
    this.i++; // the closing ]
    return `[${negated ? '^' : ''}${items}]`;
  }

  protected classChar(): number {
    const ch = this.c[this.i];
    if (ch === undefined) throw new Unusable('missing ]');
    if (ch === '\\') return this.escapeChar();
    this.i++;
    return ch.codePointAt(0) ?? 0;
  }
}
