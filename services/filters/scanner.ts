// Tokenizer for containerd's filter language (behaviour of containerd v1.6.20 filters/scanner.go).
//
// The scanner hands out one token at a time. Positions are indexes into the JS string (UTF-16 code
// units); containerd counts UTF-8 bytes, which only changes the numbers, never the token stream.
// Quirks kept on purpose because the parser's error messages depend on them:
//  - the first error seen is kept for the life of the scanner, even if it was hit while peeking;
//  - `peek()` looks at the next raw character, not the next token (so it does not skip spaces);
//  - after an operator the scanner is in "value" mode until a separator or a value is read.

/** Token kinds are negative so they never collide with a character (a code point is >= 0). */
export const Tok = {
  EOF: -1,
  Quoted: -2,
  Value: -3,
  Field: -4,
  Separator: -5,
  Operator: -6,
  Illegal: -7,
} as const;

/** Either one of `Tok` or, for a character the scanner has no token for, that character's code point. */
export type Token = number;

export interface Scanned {
  pos: number;
  tok: Token;
  text: string;
}

const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

const spaceRe = /^\p{White_Space}$/u;
// Go's IsLetter|IsDigit|IsNumber|IsGraphic|IsPunct, less spaces: letters, marks, numbers, punctuation
// and symbols. (Every Zs character is also White_Space, so the space separators drop out.)
const valueRe = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function isSpace(r: number): boolean {
  return r >= 0 && spaceRe.test(String.fromCodePoint(r));
}

function isAlpha(r: number): boolean {
  return (r >= 0x41 && r <= 0x5a) || (r >= 0x61 && r <= 0x7a);
}

function isDigit(r: number): boolean {
  return r >= 0x30 && r <= 0x39;
}

export function isFieldRune(r: number): boolean {
  return r === 0x5f || isAlpha(r) || isDigit(r);
}

function isOperatorRune(r: number): boolean {
  return r === 0x3d /* = */ || r === 0x21 /* ! */ || r === 0x7e; /* ~ */
}

function isQuoteRune(r: number): boolean {
  return r === 0x2f /* / */ || r === 0x7c /* | */ || r === 0x22; /* " */
}

function isSeparatorRune(r: number): boolean {
  return r === 0x2c /* , */ || r === 0x2e; /* . */
}

function isValueRune(r: number): boolean {
  return r >= 0 && r !== 0x2c && !isSpace(r) && valueRe.test(String.fromCodePoint(r));
}

function digitVal(r: number): number {
  if (r >= 0x30 && r <= 0x39) return r - 0x30;
  if (r >= 0x61 && r <= 0x66) return r - 0x61 + 10;
  if (r >= 0x41 && r <= 0x46) return r - 0x41 + 10;
  return 16; // above every base we use
}

export class Scanner {
  /** Start of the character last read by `next()`. */
  pos = 0;
  /** End of the character last read by `next()` (where the next one starts). */
  ppos = 0;
  /** The first error met; later errors never replace it. */
  err = '';
  private value = false;

  constructor(readonly input: string) {}

  /** Reads one character (code point); Tok.EOF at the end, Tok.Illegal for NUL or a replacement char. */
  next(): number {
    if (this.pos >= this.input.length) return Tok.EOF;
    this.pos = this.ppos;
    if (this.ppos >= this.input.length) return Tok.EOF;
    const r = this.input.codePointAt(this.ppos) ?? 0;
    this.ppos += r > 0xffff ? 2 : 1;
    // Go decodes bad UTF-8 (and a literal U+FFFD) as RuneError; a JS string shows those as U+FFFD
    // or as a lone surrogate.
    if (r === 0xfffd || (r >= 0xd800 && r <= 0xdfff)) {
      this.error('rune error');
      return Tok.Illegal;
    }
    if (r === 0) {
      this.error('unexpected null');
      return Tok.Illegal;
    }
    return r;
  }

  /** The next raw character, without consuming it (an error met on the way is still recorded). */
  peek(): number {
    const { pos, ppos } = this;
    const r = this.next();
    this.pos = pos;
    this.ppos = ppos;
    return r;
  }

  scan(): Scanned {
    let ch = this.next();
    let pos = this.pos;
    for (;;) {
      if (ch === Tok.EOF || ch === Tok.Illegal) break;
      if (isQuoteRune(ch)) {
        const ok = this.scanQuoted(ch);
        return { pos, tok: ok ? Tok.Quoted : Tok.Illegal, text: this.input.slice(pos, this.ppos) };
      }
      if (isSeparatorRune(ch)) {
        this.value = false;
        return { pos, tok: Tok.Separator, text: this.input.slice(pos, this.ppos) };
      }
      if (isOperatorRune(ch)) {
        this.scanWhile(isOperatorRune);
        this.value = true;
        return { pos, tok: Tok.Operator, text: this.input.slice(pos, this.ppos) };
      }
      if (isSpace(ch)) {
        ch = this.next();
        pos = this.pos;
        continue;
      }
      if (this.value) {
        this.scanWhile(isValueRune);
        this.value = false;
        return { pos, tok: Tok.Value, text: this.input.slice(pos, this.ppos) };
      }
      if (isFieldRune(ch)) {
        this.scanWhile(isFieldRune);
        return { pos, tok: Tok.Field, text: this.input.slice(pos, this.ppos) };
      }
      break;
    }
    // EOF, an illegal character, or a character that starts no token: hand the character back.
    return { pos: this.pos, tok: ch, text: '' };
  }

  private scanWhile(accept: (r: number) => boolean): void {
    while (accept(this.peek())) this.next();
  }

  /** Consumes a quoted literal whose opening quote was just read; false if it is malformed. */
  private scanQuoted(quote: number): boolean {
    let illegal = false;
    let ch = this.next();
    while (ch !== quote) {
      if (ch === NEWLINE || ch < 0) {
        this.error('quoted literal not terminated');
        return false;
      }
      if (ch === BACKSLASH) {
        const esc = this.scanEscape(quote);
        ch = esc.ch;
        if (!esc.legal) illegal = true;
      } else {
        ch = this.next();
      }
    }
    return !illegal;
  }

  /** Checks one escape after a backslash; returns the character that follows it. */
  private scanEscape(quote: number): { ch: number; legal: boolean } {
    const ch = this.next();
    switch (ch) {
      case 0x61: // a
      case 0x62: // b
      case 0x66: // f
      case 0x6e: // n
      case 0x72: // r
      case 0x74: // t
      case 0x76: // v
      case BACKSLASH:
      case quote:
        return { ch: this.next(), legal: true };
      case 0x78: // x
        return this.scanDigits(this.next(), 16, 2);
      case 0x75: // u
        return this.scanDigits(this.next(), 16, 4);
      case 0x55: // U
        return this.scanDigits(this.next(), 16, 8);
      default:
        if (ch >= 0x30 && ch <= 0x37) return this.scanDigits(ch, 8, 3);
        this.error('illegal escape sequence');
        return { ch, legal: false };
    }
  }

  private scanDigits(first: number, base: number, n: number): { ch: number; legal: boolean } {
    let ch = first;
    while (n > 0 && digitVal(ch) < base) {
      ch = this.next();
      n--;
    }
    if (n > 0) {
      this.error('illegal numeric escape sequence');
      return { ch, legal: false };
    }
    return { ch, legal: true };
  }

  private error(msg: string): void {
    if (this.err === '') this.err = msg;
  }
}
