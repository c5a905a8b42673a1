// Docker's word expansion for Dockerfile instructions (moby's shell.Lex): quotes removed, `$VAR`,
// `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`, `${VAR:?msg}`, escapes with
// the Dockerfile's escape character. No command substitution, no globbing, no word splitting.
import { InvalidParameter } from '../errdefs/index.js';

export type EnvLookup = (name: string) => string | undefined;

/** A lookup over `KEY=value` entries, the last one winning (as moby's envs). */
export function envLookup(...lists: string[][]): EnvLookup {
  const m = new Map<string, string>();
  for (const l of lists) {
    for (const kv of l) {
      const i = kv.indexOf('=');
      if (i < 0) m.set(kv, '');
      else m.set(kv.slice(0, i), kv.slice(i + 1));
    }
  }
  return (n) => m.get(n);
}

class Lexer {
  private pos = 0;
  readonly used = new Set<string>();

  constructor(
    private readonly s: string,
    private readonly escape: string,
    private readonly env: EnvLookup,
  ) {}

  private peek(): string | undefined {
    return this.s[this.pos];
  }

  private next(): string | undefined {
    return this.s[this.pos++];
  }

  /** Reads up to (and consumes) `stop`, or to the end when stop is undefined. */
  word(stop?: string): string {
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) {
        if (stop !== undefined)
          throw new InvalidParameter(`unexpected end of statement while looking for matching ${stop}`);
        return out;
      }
      if (stop !== undefined && ch === stop) {
        this.pos++;
        return out;
      }
      this.pos++;
      if (ch === this.escape) {
        const n = this.next();
        if (n === undefined) return out;
        out += n;
      } else if (ch === "'") {
        out += this.single();
      } else if (ch === '"') {
        out += this.double();
      } else if (ch === '$') {
        out += this.dollar();
      } else {
        out += ch;
      }
    }
  }

  private single(): string {
    const end = this.s.indexOf("'", this.pos);
    if (end < 0)
      throw new InvalidParameter('unexpected end of statement while looking for matching single-quote');
    const v = this.s.slice(this.pos, end);
    this.pos = end + 1;
    return v;
  }

  private double(): string {
    let out = '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined)
        throw new InvalidParameter('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') return out;
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      if (ch === this.escape) {
        const n = this.peek();
        if (n === '"' || n === '$' || n === this.escape) {
          out += n;
          this.pos++;
          continue;
        }
      }
      out += ch;
    }
  }

  private name(): string {
    const m = /^[A-Za-z0-9_]+/.exec(this.s.slice(this.pos));
    if (!m) return '';
    this.pos += m[0].length;
    return m[0];
  }

  private lookup(name: string): string | undefined {
    this.used.add(name);
    return this.env(name);
  }

  private dollar(): string {
    if (this.peek() !== '{') {
      const n = this.name();
      if (!n) return '$';
      return this.lookup(n) ?? '';
    }
    this.pos++;
    const n = this.name();
    if (!n) throw new InvalidParameter(`failed to process "${this.s}": bad substitution`);
    const ch = this.next();
    if (ch === '}') return this.lookup(n) ?? '';
    let colon = false;
    let mod = ch;
    if (ch === ':') {
      colon = true;
      mod = this.next();
    }
    if (mod !== '-' && mod !== '+' && mod !== '?')
      throw new InvalidParameter(
        `failed to process "${this.s}": unsupported modifier (${mod ?? ''}) in substitution`,
      );
    const word = this.word('}');
    const v = this.lookup(n);
    const set = colon ? v !== undefined && v !== '' : v !== undefined;
    if (mod === '-') return set ? v! : word;
    if (mod === '+') return set ? word : '';
    if (!set)
      throw new InvalidParameter(
        `failed to process "${this.s}": ${n}: ${word || 'is not allowed to be unset'}`,
      );
    return v!;
  }
}

/** One word expanded (quotes removed, variables substituted). */
export function processWord(s: string, env: EnvLookup, escape = '\\'): string {
  return new Lexer(s, escape, env).word();
}

/** Like processWord, also reporting which variable names were looked up. */
export function processWordUsed(
  s: string,
  env: EnvLookup,
  escape = '\\',
): { value: string; used: Set<string> } {
  const l = new Lexer(s, escape, env);
  return { value: l.word(), used: l.used };
}

/**
 * Splits on unquoted whitespace, keeping quotes and escapes in the words (moby's parseWords), for
 * `ENV a=b c="d e"`, `LABEL`, `ARG` and the shell forms of COPY/ADD/VOLUME/EXPOSE.
 */
export function splitWords(s: string, escape = '\\'): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (!quote && /\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === escape && i + 1 < s.length && quote !== "'") {
      cur += ch + s[++i];
      continue;
    }
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    cur += ch;
  }
  if (inWord) words.push(cur);
  return words;
}
