// The `filters` query parameter: JSON of either map-of-set (`{"label":{"a=b":true}}`, the CLI) or
// map-of-list (`{"label":["a=b"]}`, dockerode and docker-py), parsed to key -> distinct values.

import { InvalidParameter, parseJsonText } from '../errdefs/index.js';

export type Filters = Map<string, string[]>;

/** Parse the raw `filters` value; empty or missing gives an empty map. Bad input: InvalidParameter. */
export function parseFilters(raw: string | null | undefined): Filters {
  const out: Filters = new Map();
  if (raw === null || raw === undefined || raw.trim() === '') return out;
  const parsed = parseJsonText(raw, 'invalid filter');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidParameter('invalid filter: expected a JSON object');
  }
  for (const [key, value] of Object.entries(parsed)) {
    let values: string[];
    if (value === null) values = [];
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) values = value;
    else if (
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.values(value).every((v) => typeof v === 'boolean')
    ) {
      values = Object.keys(value);
    } else {
      throw new InvalidParameter(`invalid filter: cannot read the values of '${key}'`);
    }
    out.set(key, [...new Set(values)]);
  }
  return out;
}

/** Reject keys outside `allowed` with moby's text: `invalid filter 'x'`. */
export function validateFilterKeys(filters: Filters, allowed: readonly string[]): void {
  for (const key of filters.keys()) {
    if (!allowed.includes(key)) throw new InvalidParameter(`invalid filter '${key}'`);
  }
}

/** Values of one key, `[]` if absent. */
export function filterValues(filters: Filters, key: string): string[] {
  return filters.get(key) ?? [];
}

/**
 * Label filter (moby MatchKVList): every value must hold, `key` meaning the label is present and
 * `key=value` meaning it equals. No values means no filtering.
 */
export function matchLabels(
  values: readonly string[] | undefined,
  labels: Record<string, string> | null | undefined,
): boolean {
  if (!values || values.length === 0) return true;
  if (!labels) return false;
  return values.every((v) => {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!Object.prototype.hasOwnProperty.call(labels, key)) return false;
    return eq < 0 || labels[key] === v.slice(eq + 1);
  });
}

/** moby Match: true if no values, if one equals `s`, or if one is a regular expression found in `s`. */
export function match(values: readonly string[] | undefined, s: string): boolean {
  if (!values || values.length === 0) return true;
  if (values.includes(s)) return true;
  return values.some((v) => {
    try {
      return new RegExp(v).test(s);
    } catch {
      return false;
    }
  });
}

/** moby ExactMatch: true if no values or one equals `s`. */
export function exactMatch(values: readonly string[] | undefined, s: string): boolean {
  return !values || values.length === 0 || values.includes(s);
}

/** moby FuzzyMatch: true if no values, one equals `s`, or one is a prefix of `s`. */
export function fuzzyMatch(values: readonly string[] | undefined, s: string): boolean {
  return !values || values.length === 0 || values.some((v) => s.startsWith(v));
}
