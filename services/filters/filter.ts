// Parser and matcher for containerd's filter language (behaviour of containerd v1.6.20
// filters/parser.go and filters/filter.go).
//
//   selectors := selector ("," selector)*          every selector must match (AND)
//   selector  := fieldpath [operator value]        no operator: the field must be present
//   fieldpath := field ("." field)*
//   field     := quoted | [A-Za-z0-9_]+
//   operator  := "==" | "!=" | "~="
//   value     := quoted | one or more letters, digits, punctuation or symbols, but not ","
//   quoted    := a Go string in "..."; a regexp value (after ~=) may also use /.../ or |...|
//
// Whitespace is skipped before a token, but not after a value or before a "," or "." that follows a
// field (so "a==b " and "a ,b" are errors while "a == b" is fine).
import { invalidArgument } from '../../api/errdefs.js';
import type { Adaptor } from './adaptor.js';
import { compileGoRegexp } from './re2.js';
import { unquote } from './quote.js';
import { Scanner, Tok, type Token } from './scanner.js';

export interface Filter {
  /** True if the object seen through `a` passes the filter. */
  match(a: Adaptor): boolean;
}

/** The filter that matches everything (what "" and an empty list parse to). */
export const matchAll: Filter = { match: () => true };

type Operator = '?' | '==' | '!=' | '~=';

class Selector implements Filter {
  constructor(
    readonly fieldpath: readonly string[],
    readonly operator: Operator,
    readonly value: string,
    /** For `~=`: the compiled pattern, or undefined when it does not compile (matches nothing). */
    private readonly re?: RegExp,
  ) {}

  match(a: Adaptor): boolean {
    const got = a(this.fieldpath);
    switch (this.operator) {
      case '?':
        return got !== undefined;
      case '==':
        return got !== undefined && got === this.value;
      case '!=':
        return (got ?? '') !== this.value;
      case '~=':
        return this.re !== undefined && this.re.test(got ?? '');
    }
  }
}

class AllOf implements Filter {
  constructor(readonly filters: readonly Filter[]) {}
  match(a: Adaptor): boolean {
    return this.filters.every((f) => f.match(a));
  }
}

class AnyOf implements Filter {
  constructor(readonly filters: readonly Filter[]) {}
  match(a: Adaptor): boolean {
    return this.filters.some((f) => f.match(a));
  }
}

const COMMA = 0x2c;
const DOT = 0x2e;

/** Go's string(rune): the character, or U+FFFD for a value that is not one (our token kinds). */
function runeString(r: number): string {
  return r < 0 || r > 0x10ffff ? '\ufffd' : String.fromCodePoint(r);
}

class Parser {
  private readonly scanner: Scanner;

  constructor(private readonly input: string) {
    this.scanner = new Scanner(input);
  }

  parse(): Filter {
    const all: Filter[] = [this.selector()];
    for (;;) {
      const next = this.scanner.peek();
      if (next === COMMA) {
        const { pos, tok } = this.scanner.scan();
        if (tok !== Tok.Separator) throw this.error(pos, 'expected a separator');
        all.push(this.selector());
      } else if (next === Tok.EOF) {
        return new AllOf(all);
      } else {
        throw this.error(this.scanner.ppos, `unexpected input: ${runeString(next)}`);
      }
    }
  }

  private selector(): Selector {
    const fieldpath = this.fieldpath();
    const next: Token = this.scanner.peek();
    if (next === COMMA || next === Tok.Separator || next === Tok.EOF) return new Selector(fieldpath, '?', '');
    const op = this.operator();
    const value = this.value(op === '~=');
    return new Selector(fieldpath, op, value, op === '~=' ? compileGoRegexp(value) : undefined);
  }

  private fieldpath(): string[] {
    const fields = [this.field()];
    while (this.scanner.peek() === DOT) {
      const { pos, tok } = this.scanner.scan();
      if (tok !== Tok.Separator) throw this.error(pos, 'expected a field separator (`.`)');
      fields.push(this.field());
    }
    return fields;
  }

  private field(): string {
    const { pos, tok, text } = this.scanner.scan();
    switch (tok) {
      case Tok.Field:
        return text;
      case Tok.Quoted:
        return this.unquote(pos, text, false);
      case Tok.Illegal:
        throw this.error(pos, this.scanner.err);
    }
    throw this.error(pos, 'expected field or quoted');
  }

  private operator(): Operator {
    const { pos, tok, text } = this.scanner.scan();
    switch (tok) {
      case Tok.Operator:
        if (text === '==' || text === '!=' || text === '~=') return text;
        throw this.error(pos, `unsupported operator "${text}"`);
      case Tok.Illegal:
        throw this.error(pos, this.scanner.err);
    }
    throw this.error(pos, 'expected an operator ("=="|"!="|"~=")');
  }

  private value(allowAltQuotes: boolean): string {
    const { pos, tok, text } = this.scanner.scan();
    switch (tok) {
      case Tok.Value:
      case Tok.Field:
        return text;
      case Tok.Quoted:
        return this.unquote(pos, text, allowAltQuotes);
      case Tok.Illegal:
        throw this.error(pos, this.scanner.err);
    }
    throw this.error(pos, 'expected value or quoted');
  }

  private unquote(pos: number, text: string, allowAltQuotes: boolean): string {
    if (!allowAltQuotes && text[0] !== '"') throw this.error(pos, 'invalid quote encountered');
    try {
      return unquote(text);
    } catch (err) {
      throw this.error(pos, `unquoting failed: ${(err as Error).message}`);
    }
  }

  /** "filters: parse error: [before >|at|< after]: msg", or "[input]: msg" when pos is at the end. */
  private error(pos: number, msg: string): Error {
    const input = this.input;
    let where: string;
    if (pos < input.length) {
      // containerd cuts one byte here; we cut one whole character.
      const at = String.fromCodePoint(input.codePointAt(pos) ?? 0);
      where = `[${input.slice(0, pos)} >|${at}|< ${input.slice(pos + at.length)}]`;
    } else {
      where = `[${input}]`;
    }
    return invalidArgument(`filters: parse error: ${where}: ${msg}`);
  }
}

/**
 * Parses one filter string: comma-separated selectors that must all match. "" matches everything.
 * Throws an InvalidArgument TsctrError on a syntax error. A `~=` pattern that does not compile is not
 * an error (as in containerd): that selector simply matches nothing.
 */
export function parseFilter(s: string): Filter {
  if (s === '') return matchAll;
  return new Parser(s).parse();
}

/**
 * Parses the `filters` of a List request: an object passes if any one string matches (OR). An empty
 * list, or one containing "", matches everything. Throws InvalidArgument on the first bad string.
 */
export function parseFilters(list: readonly string[]): Filter {
  if (list.length === 0) return matchAll;
  const filters = list.map(parseFilter);
  return filters.includes(matchAll) ? matchAll : new AnyOf(filters);
}
