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
import { ClassReader, type Flags, Unusable } from './re2-class-reader.js';
import { esc, isAlnum } from './re2-tables.js';

class Translator extends ClassReader {
  private out = '';
  /** For each open group: the flags to restore at its ")" and where it starts in `out`. */
  private readonly groups: { flags: Flags; start: number }[] = [];
  /** Where the last atom (what a following repetition applies to) starts in `out`. */
  private atomStart = 0;
  /**
   * What was emitted last. Go forgets that it just saw a repetition when a flag group such as "(?s)"
   * follows, so `a*(?s)*` repeats `a*`; JS would refuse `a**`, so that case is emitted as `(?:a*)*`.
   */
  private last: 'none' | 'atom' | 'repeat' | 'flagsAfterRepeat' = 'none';

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
