// Parsing JSON that clients send (bodies, filters), with Go-like wording for malformed input, because
// Docker's clients show these texts as they are.
import { InvalidParameter, errorMessage } from './kinds.js';

/** The offending character as Go quotes it in its JSON errors. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '\n') return "'\\n'";
  if (c === '\r') return "'\\r'";
  if (c === '\t') return "'\\t'";
  return `'${c}'`;
}

/**
 * Go-like wording for a JSON.parse failure (`invalid character 'x' looking for beginning of value`,
 * `unexpected EOF`), derived from V8's message. Approximate, but always names the problem.
 */
export function jsonSyntaxMessage(text: string, err: unknown): string {
  const msg = errorMessage(err);
  if (/Unexpected end of JSON input|Unterminated string/.test(msg)) return 'unexpected EOF';
  const pos = /at position (\d+)/.exec(msg);
  const token = /^Unexpected token '(.)'/.exec(msg);
  if (pos && Number(pos[1]) >= text.length) return 'unexpected EOF';
  const ch = pos ? text.charAt(Number(pos[1])) : token ? token[1] : '';
  if (!ch) return msg.charAt(0).toLowerCase() + msg.slice(1);
  const where = /property name/.test(msg)
    ? /after property name/.test(msg)
      ? 'after object key'
      : 'looking for beginning of object key string'
    : /after array element/.test(msg)
      ? 'after array element'
      : /after property value/.test(msg)
        ? 'after object key:value pair'
        : 'looking for beginning of value';
  return `invalid character ${quoteChar(ch)} ${where}`;
}

/**
 * Parse the first JSON value in `text` (trailing data is ignored, as Go's json.Decoder does);
 * malformed input throws InvalidParameter(`<prefix>: <Go-like reason>`).
 */
export function parseJsonText(text: string, prefix = 'invalid JSON'): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const trailing = /^Unexpected non-whitespace character after JSON at position (\d+)/.exec(
      errorMessage(err),
    );
    if (trailing) {
      try {
        return JSON.parse(text.slice(0, Number(trailing[1])));
      } catch {
        // fall through to the original error
      }
    }
    throw new InvalidParameter(`${prefix}: ${jsonSyntaxMessage(text, err)}`);
  }
}
