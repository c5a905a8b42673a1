// Decoding of quoted literals in filters (behaviour of containerd v1.6.20 filters/quote.go): Go string
// escapes, with `/.../` and `|...|` accepted as extra double-quote styles for regular expressions.
//
// Go strings are bytes, and `\xNN` or octal escapes may produce bytes that are not valid UTF-8. Such a
// value can never equal a real (valid UTF-8) field value, and Go refuses it as a regexp. To keep that
// in a JS string, every byte that is not part of a valid UTF-8 sequence is mapped to the lone
// surrogate U+DC00+byte ("surrogateescape"); lone surrogates never occur in decoded protobuf strings.

export class QuoteSyntaxError extends Error {
  constructor() {
    super('quote syntax error');
  }
}

function unhex(c: string): number {
  const v = parseInt(c, 16);
  return /^[0-9a-fA-F]$/.test(c) ? v : -1;
}

function pushUtf8(out: number[], r: number): void {
  if (r < 0x80) out.push(r);
  else if (r < 0x800) out.push(0xc0 | (r >> 6), 0x80 | (r & 0x3f));
  else if (r < 0x10000) out.push(0xe0 | (r >> 12), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
  else out.push(0xf0 | (r >> 18), 0x80 | ((r >> 12) & 0x3f), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
}

/** Decodes UTF-8 the way Go validates it; each stray byte becomes U+DC00+byte. */
export function decodeBytes(b: readonly number[]): string {
  let s = '';
  const cont = (i: number, lo = 0x80, hi = 0xbf): boolean => i < b.length && b[i] >= lo && b[i] <= hi;
  for (let i = 0; i < b.length;) {
    const c = b[i];
    let r = -1;
    let w = 1;
    if (c < 0x80) r = c;
    else if (c >= 0xc2 && c <= 0xdf && cont(i + 1)) {
      r = ((c & 0x1f) << 6) | (b[i + 1] & 0x3f);
      w = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      const lo = c === 0xe0 ? 0xa0 : 0x80;
      const hi = c === 0xed ? 0x9f : 0xbf;
      if (cont(i + 1, lo, hi) && cont(i + 2)) {
        r = ((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f);
        w = 3;
      }
    } else if (c >= 0xf0 && c <= 0xf4) {
      const lo = c === 0xf0 ? 0x90 : 0x80;
      const hi = c === 0xf4 ? 0x8f : 0xbf;
      if (cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3)) {
        r = ((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f);
        w = 4;
      }
    }
    if (r < 0) {
      s += String.fromCharCode(0xdc00 + c);
      i += 1;
    } else {
      s += String.fromCodePoint(r);
      i += w;
    }
  }
  return s;
}

/**
 * Decodes a literal quoted with `"`, `/` or `|` (the quote is its first and last character).
 * Throws QuoteSyntaxError where Go's strconv-derived unquote would fail.
 */
export function unquote(s: string): string {
  if (s.length < 2) throw new QuoteSyntaxError();
  const quote = s[0];
  if (quote !== s[s.length - 1]) throw new QuoteSyntaxError();
  if (quote !== '"' && quote !== '/' && quote !== '|') throw new QuoteSyntaxError();
  const body = s.slice(1, -1);
  if (body.includes('\n')) throw new QuoteSyntaxError();
  if (!body.includes('\\') && !body.includes(quote)) return body;

  const out: number[] = [];
  const chars = Array.from(body);
  for (let i = 0; i < chars.length;) {
    const c = chars[i++];
    if (c === quote) throw new QuoteSyntaxError();
    if (c !== '\\') {
      pushUtf8(out, c.codePointAt(0) ?? 0);
      continue;
    }
    if (i >= chars.length) throw new QuoteSyntaxError();
    const e = chars[i++];
    switch (e) {
      case 'a':
        out.push(0x07);
        break;
      case 'b':
        out.push(0x08);
        break;
      case 'f':
        out.push(0x0c);
        break;
      case 'n':
        out.push(0x0a);
        break;
      case 'r':
        out.push(0x0d);
        break;
      case 't':
        out.push(0x09);
        break;
      case 'v':
        out.push(0x0b);
        break;
      case 'x':
      case 'u':
      case 'U': {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        if (chars.length - i < n) throw new QuoteSyntaxError();
        let v = 0;
        for (let j = 0; j < n; j++) {
          const d = unhex(chars[i + j]);
          if (d < 0) throw new QuoteSyntaxError();
          v = v * 16 + d;
        }
        i += n;
        if (e === 'x') {
          out.push(v); // a raw byte, possibly not UTF-8
        } else {
          if (v > 0x10ffff) throw new QuoteSyntaxError();
          // Go encodes a surrogate code point as the replacement character.
          pushUtf8(out, v >= 0xd800 && v <= 0xdfff ? 0xfffd : v);
        }
        break;
      }
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        let v = e.charCodeAt(0) - 0x30;
        if (chars.length - i < 2) throw new QuoteSyntaxError();
        for (let j = 0; j < 2; j++) {
          const d = chars[i + j].charCodeAt(0) - 0x30;
          if (chars[i + j].length !== 1 || d < 0 || d > 7) throw new QuoteSyntaxError();
          v = (v << 3) | d;
        }
        i += 2;
        if (v > 255) throw new QuoteSyntaxError();
        out.push(v); // a raw byte
        break;
      }
      case '\\':
        out.push(0x5c);
        break;
      case "'":
      case '"':
      case '|':
      case '/':
        // Only the literal's own quote may be escaped.
        if (e !== quote) throw new QuoteSyntaxError();
        out.push(e.charCodeAt(0));
        break;
      default:
        throw new QuoteSyntaxError();
    }
  }
  return decodeBytes(out);
}
