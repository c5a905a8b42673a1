// The json-file driver's `--log-opt`s, parsed and checked as dockerd does (max-size, max-file, compress).

export interface ParsedLogOpts {
  /** Bytes; 0 = unlimited. */
  maxSize: number;
  /** ≥ 1. */
  maxFile: number;
  compress: boolean;
}

const DECIMAL_UNITS: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

/**
 * go-units `FromHumanSize` (what dockerd's json-file uses for `max-size`): SI multiples, so `10m` = 10,000,000
 * bytes and even `10mib` = 10,000,000; suffix case-insensitive, optional `b` / `ib`, fractions allowed.
 */
export function fromHumanSize(size: string): number {
  const sep = Math.max(...[...'0123456789. '].map((c) => size.lastIndexOf(c)));
  if (sep === -1) throw new Error(`invalid size: '${size}'`);
  let num: string;
  let sfx: string;
  if (size[sep] !== ' ') {
    num = size.slice(0, sep + 1);
    sfx = size.slice(sep + 1);
  } else {
    num = size.slice(0, sep);
    sfx = size.slice(sep + 1);
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) {
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  }
  let value = Number(num);
  if (value < 0) throw new Error(`invalid size: '${size}'`);
  if (sfx.length > 0) {
    const bad = (): Error => new Error(`invalid suffix: '${sfx}'`);
    if (sfx.length > 3) throw bad();
    sfx = sfx.toLowerCase();
    if (sfx[0] === 'b') {
      if (sfx.length > 1) throw bad();
    } else {
      const mul = DECIMAL_UNITS[sfx[0]];
      if (mul === undefined) throw bad();
      if (sfx.length === 2 && sfx[1] !== 'b') throw bad();
      if (sfx.length === 3 && sfx.slice(1) !== 'ib') throw bad();
      value *= mul;
    }
  }
  const n = Math.trunc(value);
  if (!Number.isSafeInteger(n)) throw new Error(`invalid size: '${size}'`);
  return n;
}

function parseGoBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}

// Options dockerd accepts for json-file but this implementation does not act on.
const IGNORED_OPTS = new Set([
  'labels',
  'labels-regex',
  'env',
  'env-regex',
  'tag',
  'mode',
  'max-buffer-size',
]);

/**
 * Validates and parses a json-file `--log-opt` map like dockerd (`max-size`, `max-file`, `compress`; `labels`,
 * `labels-regex`, `env`, `env-regex`, `tag`, `mode`, `max-buffer-size`, `cache-*` accepted and ignored).
 * Throws Error with dockerd's messages, e.g. `max-file cannot be less than 1`,
 * `unknown log opt 'foo' for json-file log driver`.
 */
export function parseLogOpts(config: Record<string, string>): ParsedLogOpts {
  for (const key of Object.keys(config)) {
    if (key === 'max-size' || key === 'max-file' || key === 'compress') continue;
    if (IGNORED_OPTS.has(key) || key.startsWith('cache-')) continue;
    throw new Error(`unknown log opt '${key}' for json-file log driver`);
  }
  let maxSize = 0;
  const sizeText = config['max-size'];
  if (sizeText !== undefined) {
    maxSize = fromHumanSize(sizeText);
    if (maxSize <= 0) throw new Error('max-size must be a positive number');
  }
  let maxFile = 1;
  const fileText = config['max-file'];
  if (fileText !== undefined) {
    if (!/^[+-]?\d+$/.test(fileText)) {
      throw new Error(`strconv.Atoi: parsing ${JSON.stringify(fileText)}: invalid syntax`);
    }
    maxFile = Number(fileText);
    if (!Number.isSafeInteger(maxFile)) {
      throw new Error(`strconv.Atoi: parsing ${JSON.stringify(fileText)}: value out of range`);
    }
    if (maxFile < 1) throw new Error('max-file cannot be less than 1');
  }
  let compress = false;
  const compressText = config['compress'];
  if (compressText !== undefined) {
    compress = parseGoBool(compressText);
    if (compress && (maxFile === 1 || maxSize === 0)) {
      throw new Error('compress cannot be true when max-file is less than 2 or max-size is not set');
    }
  }
  return { maxSize, maxFile, compress };
}
