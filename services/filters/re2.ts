// Go regexp (RE2 syntax, as `regexp.Compile` in Go 1.19/1.20 accepts it) rewritten into an equivalent
// JS RegExp for a yes/no search, as `Regexp.MatchString` does.
//
// The pattern is parsed the way Go's regexp/syntax parses it and re-emitted in JS `u`-mode syntax, so:
//  - things Go accepts but JS spells differently are translated: `(?P<n>...)`, `\pL`, `\p{Greek}`,
//    `[[:alpha:]]`, `\Q...\E`, `\A`, `\z`, `\x{...}`, octal escapes, `\a`, escaped punctuation, a
//    literal `{`, `}` or `]`, a `]` first in a class, quantified assertions (`^*`);
//  - Go meanings are kept where JS differs: `.` excludes only `\n` (JS also excludes `\r`, U+2028/9),
//    `\s` is ASCII only, `(?m)` lines end at `\n` only, flags are scoped to their group, `\pC` has
//    no unassigned code points, negated classes under `(?i)` exclude every case variant;
//  - things Go refuses are refused: look-around, back-references, `(?<name>...)`, repeat counts over
//    1000, unknown escapes, class names and script aliases.
// Limits: JS has no inline flags before Node 23, so case-insensitivity must cover the whole pattern; a
// pattern mixing case-sensitive and case-insensitive atoms is reported as unusable, as is a negated
// Unicode class item inside brackets under `(?i)` (`(?i)[\PL]`). Under `(?i)`, JS's `\b` also counts
// U+017F and U+212A as word characters. Go's overall size and nesting limits are not copied, and JS
// runs a backtracking engine, so the match time is not linear in the input as it is in Go.
//
// These results were compared with Go 1.19's regexp on over a hundred thousand generated patterns.

class Unusable extends Error {}

interface Flags {
  fold: boolean; // i
  multiLine: boolean; // m
  dotNL: boolean; // s
}

type Range = readonly [number, number];

const MAX_RUNE = 0x10ffff;

// Ranges of the ASCII classes Go knows by name.
const R = (...pairs: [string, string][]): Range[] =>
  pairs.map(([a, b]) => [a.codePointAt(0) ?? 0, b.codePointAt(0) ?? 0] as const);
const posixClasses: Record<string, Range[]> = {
  alnum: R(['0', '9'], ['A', 'Z'], ['a', 'z']),
  alpha: R(['A', 'Z'], ['a', 'z']),
  ascii: R(['\x00', '\x7f']),
  blank: R(['\t', '\t'], [' ', ' ']),
  cntrl: R(['\x00', '\x1f'], ['\x7f', '\x7f']),
  digit: R(['0', '9']),
  graph: R(['!', '~']),
  lower: R(['a', 'z']),
  print: R([' ', '~']),
  punct: R(['!', '/'], [':', '@'], ['[', '`'], ['{', '~']),
  space: R(['\t', '\r'], [' ', ' ']),
  upper: R(['A', 'Z']),
  word: R(['0', '9'], ['A', 'Z'], ['a', 'z'], ['_', '_']),
  xdigit: R(['0', '9'], ['A', 'F'], ['a', 'f']),
};
const perlSpace = R(['\t', '\n'], ['\f', '\r'], [' ', ' ']);

// Go's unicode.Categories (its `C` lacks the unassigned code points that JS puts in `\p{C}`).
const goCategories = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(
    ' ',
  ),
);

// Go 1.19's unicode.Scripts (Unicode 13). JS also knows short aliases such as "Grek", which Go refuses.
const goScripts = new Set(
  (
    'Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali ' +
    'Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian ' +
    'Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot Cyrillic Deseret Devanagari ' +
    'Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic ' +
    'Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew ' +
    'Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi ' +
    'Kannada Katakana Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha ' +
    'Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen ' +
    'Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi ' +
    'Mongolian Mro Multani Myanmar Nabataean Nandinagari New_Tai_Lue Newa Nko Nushu ' +
    'Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian Old_Permic ' +
    'Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Oriya Osage Osmanya Pahawh_Hmong Palmyrene ' +
    'Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian ' +
    'Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog ' +
    'Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta ' +
    'Ugaritic Vai Wancho Warang_Citi Yezidi Yi Zanabazar_Square'
  ).split(' '),
);

function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

/**
 * Adds the other case of each letter (and the two non-ASCII letters that fold to ASCII ones). Go folds
 * a class before negating it; JS ignore-case then folds the negated ranges again, so the complement must
 * start from the folded set.
 */
function foldAscii(ranges: readonly Range[]): Range[] {
  const set = new Set<number>();
  for (const [lo, hi] of ranges) for (let r = lo; r <= hi; r++) set.add(r);
  for (const r of [...set]) {
    if (r >= 0x41 && r <= 0x5a) set.add(r + 0x20);
    if (r >= 0x61 && r <= 0x7a) set.add(r - 0x20);
  }
  if (set.has(0x6b)) set.add(0x212a); // k, K, KELVIN SIGN
  if (set.has(0x73)) set.add(0x17f); // s, S, LATIN SMALL LETTER LONG S
  return [...set].map((r) => [r, r] as const);
}

const esc = (r: number): string => `\\u{${r.toString(16)}}`;
const rangeItems = (ranges: readonly Range[]): string =>
  ranges.map(([lo, hi]) => (lo === hi ? esc(lo) : `${esc(lo)}-${esc(hi)}`)).join('');

function isAlnum(c: string): boolean {
  return /^[0-9A-Za-z]$/.test(c);
}

class Translator {
  private readonly c: string[];
  private i = 0;
  private out = '';
  private flags: Flags = { fold: false, multiLine: false, dotNL: false };
  /** For each open group: the flags to restore at its ")" and where it starts in `out`. */
  private readonly groups: { flags: Flags; start: number }[] = [];
  /** Where the last atom (what a following repetition applies to) starts in `out`. */
  private atomStart = 0;
  /**
   * What was emitted last. Go forgets that it just saw a repetition when a flag group such as "(?s)"
   * follows, so `a*(?s)*` repeats `a*`; JS would refuse `a**`, so that case is emitted as `(?:a*)*`.
   */
  private last: 'none' | 'atom' | 'repeat' | 'flagsAfterRepeat' = 'none';
  /** Case-folding of the whole pattern, fixed by the first atom whose meaning depends on it. */
  fold: boolean | undefined;

  constructor(pattern: string) {
    this.c = Array.from(pattern);
  }

  translate(): string {
    const c = this.c;
    while (this.i < c.length) {
      const ch = c[this.i];
      switch (ch) {
        case '(':
          this.group();
          break;
        case ')': {
          const group = this.groups.pop();
          if (!group) throw new Unusable('unexpected )');
          this.flags = group.flags;
          this.out += ')';
          this.atomStart = group.start;
          this.last = 'atom';
          this.i++;
          break;
        }
        case '|':
          this.out += '|';
          this.last = 'none';
          this.i++;
          break;
        case '^':
          this.atom(this.flags.multiLine ? '(?:(?<![^\\n]))' : '(?:^)');
          this.i++;
          break;
        case '$':
          this.atom(this.flags.multiLine ? '(?:(?![^\\n]))' : '(?:$)');
          this.i++;
          break;
        case '.':
          this.atom(this.flags.dotNL ? '[^]' : '[^\\n]');
          this.i++;
          break;
        case '*':
        case '+':
        case '?':
          this.i++;
          this.repeat(ch);
          break;
        case '{':
          this.repeatOrBrace();
          break;
        case '[':
          this.atom(this.charClass());
          break;
        case '\\':
          this.escapeOutsideClass();
          break;
        default:
          this.literal(ch.codePointAt(0) ?? 0);
          this.i++;
      }
    }
    if (this.groups.length > 0) throw new Unusable('missing )');
    return this.out;
  }

  private atom(js: string): void {
    this.atomStart = this.out.length;
    this.out += js;
    this.last = 'atom';
  }

  /** Emits a repetition operator (with its lazy "?" if one follows). */
  private repeat(op: string): void {
    if (this.c[this.i] === '?') {
      op += '?';
      this.i++;
    }
    if (this.last === 'flagsAfterRepeat') {
      this.out = `${this.out.slice(0, this.atomStart)}(?:${this.out.slice(this.atomStart)})`;
    }
    // Otherwise JS refuses the same misplaced or doubled repetitions that Go does.
    this.out += op;
    this.last = 'repeat';
  }

  /** A flag group, or anything else that emits nothing. */
  private nothing(): void {
    if (this.last === 'repeat') this.last = 'flagsAfterRepeat';
  }

  private openGroup(start: number): void {
    this.groups.push({ flags: this.flags, start });
    this.last = 'none';
  }

  private content(): void {
    if (this.fold === undefined) this.fold = this.flags.fold;
    else if (this.fold !== this.flags.fold) throw new Unusable('mixed case sensitivity');
  }

  private literal(r: number): void {
    this.content();
    this.atomStart = this.out.length;
    this.last = 'atom';
    this.out += r < 0x80 && isAlnum(String.fromCharCode(r)) ? String.fromCharCode(r) : esc(r);
  }

  private group(): void {
    const c = this.c;
    if (c[this.i + 1] !== '?') {
      this.openGroup(this.out.length);
      this.out += '(';
      this.i++;
      return;
    }
    // (?P<name>re): a named capture; the name does not matter for a yes/no match (Go allows repeats).
    if (c[this.i + 2] === 'P' && c[this.i + 3] === '<') {
      const end = c.indexOf('>', this.i + 4);
      if (end < 0) throw new Unusable('invalid named capture');
      const name = c.slice(this.i + 4, end).join('');
      if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Unusable('bad capture name');
      this.openGroup(this.out.length);
      this.out += '(';
      this.i = end + 1;
      return;
    }
    // (?flags) or (?flags:re); anything else after "(?" is unsupported by Go.
    const flags = { ...this.flags };
    let negate = false;
    let sawFlag = false;
    for (let j = this.i + 2; j < c.length; j++) {
      const f = c[j];
      const on = !negate;
      if (f === 'i') flags.fold = on;
      else if (f === 'm') flags.multiLine = on;
      else if (f === 's') flags.dotNL = on;
      else if (f === 'U') {
        // Non-greedy by default: changes which match is found, never whether there is one.
      } else if (f === '-' && !negate) {
        negate = true;
        sawFlag = false;
        continue;
      } else if (f === ':' || f === ')') {
        if (negate && !sawFlag) break;
        if (f === ':') {
          this.openGroup(this.out.length);
          this.out += '(?:';
        } else {
          this.nothing();
        }
        this.flags = flags;
        this.i = j + 1;
        return;
      } else break;
      sawFlag = true;
    }
    throw new Unusable('invalid or unsupported Perl syntax');
  }

  /** `{n}`, `{n,}`, `{n,m}` (optionally lazy) or, if it is not exactly that, a literal `{`. */
  private repeatOrBrace(): void {
    const rest = this.c.slice(this.i).join('');
    const m = /^\{(0|[1-9][0-9]*)(?:(,)(0|[1-9][0-9]*)?)?\}/.exec(rest);
    if (!m) {
      this.literal(0x7b);
      this.i++;
      return;
    }
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === undefined ? -1 : Number(m[3]);
    if (min > 1000 || max > 1000 || (max >= 0 && min > max)) throw new Unusable('invalid repeat count');
    this.i += m[0].length;
    this.repeat(m[0]);
  }

  private escapeOutsideClass(): void {
    const c = this.c;
    const e = c[this.i + 1];
    switch (e) {
      case 'A':
        this.atom('(?:^)');
        this.i += 2;
        return;
      case 'z':
        this.atom('(?:$)');
        this.i += 2;
        return;
      case 'b':
      case 'B':
        // Go's word boundary is ASCII-only; JS's with the i flag also counts U+017F and U+212A.
        this.content();
        this.atom(`(?:\\${e})`);
        this.i += 2;
        return;
      case 'Q': {
        // Literal text up to \E or the end.
        this.i += 2;
        if (c[this.i] === '\\' && c[this.i + 1] === 'E') this.nothing();
        while (this.i < c.length) {
          if (c[this.i] === '\\' && c[this.i + 1] === 'E') {
            this.i += 2;
            break;
          }
          this.literal(c[this.i].codePointAt(0) ?? 0);
          this.i++;
        }
        return;
      }
    }
    const perl = this.perlClass();
    if (perl !== undefined) {
      this.atom(`[${perl}]`);
      return;
    }
    const uni = this.unicodeClass(false);
    if (uni !== undefined) {
      this.atom(uni);
      return;
    }
    this.literal(this.escapeChar());
  }

  /** `\d \D \s \S \w \W` at the cursor, as the inside of a JS class, or undefined. */
  private perlClass(): string | undefined {
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
  private unicodeClass(inClass: boolean): string | undefined {
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
  private escapeChar(): number {
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
  private charClass(): string {
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

  private classChar(): number {
    const ch = this.c[this.i];
    if (ch === undefined) throw new Unusable('missing ]');
    if (ch === '\\') return this.escapeChar();
    this.i++;
    return ch.codePointAt(0) ?? 0;
  }
}

/**
 * Compiles a Go regular expression for unanchored yes/no matching. Returns undefined if Go would
 * refuse the pattern (containerd then matches nothing), or if JS cannot express it (see above).
 */
export function compileGoRegexp(pattern: string): RegExp | undefined {
  // Go refuses a pattern that is not valid UTF-8 (see quote.ts for how such bytes look here).
  if (/\p{Cs}/u.test(pattern)) return undefined;
  try {
    const t = new Translator(pattern);
    const source = t.translate();
    return new RegExp(source, t.fold ? 'ui' : 'u');
  } catch {
    return undefined;
  }
}
