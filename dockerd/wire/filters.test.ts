import { describe, expect, it } from 'vitest';
import { InvalidParameter } from '../errdefs/index.js';
import {
  exactMatch,
  filterValues,
  fuzzyMatch,
  match,
  matchLabels,
  parseFilters,
  validateFilterKeys,
} from './filters.js';

describe('parseFilters', () => {
  it('reads both JSON shapes', () => {
    expect([...parseFilters('{"label":{"a=b":true,"c":true},"status":{"exited":true}}')]).toEqual([
      ['label', ['a=b', 'c']],
      ['status', ['exited']],
    ]);
    expect([...parseFilters('{"status":["exited"]}')]).toEqual([['status', ['exited']]]);
    // docker-py: map of lists with spaces ('+' in the query decodes to a space)
    const q = new URLSearchParams(
      'filters=%7B%22label%22%3A+%5B%22com.docker.compose.project%3Dproj2%22%2C+%22com.docker.compose.oneoff%3DFalse%22%5D%7D',
    );
    expect(parseFilters(q.get('filters')).get('label')).toEqual([
      'com.docker.compose.project=proj2',
      'com.docker.compose.oneoff=False',
    ]);
  });

  it('treats empty input as no filters and dedups values', () => {
    expect(parseFilters(undefined).size).toBe(0);
    expect(parseFilters(null).size).toBe(0);
    expect(parseFilters('').size).toBe(0);
    expect(parseFilters('{"name":["a","a"]}').get('name')).toEqual(['a']);
    expect(parseFilters('{"name":null}').get('name')).toEqual([]);
  });

  it('rejects bad input', () => {
    expect(() => parseFilters('{bad')).toThrow(InvalidParameter);
    expect(() => parseFilters('{bad')).toThrow(/^invalid filter: invalid character 'b'/);
    expect(() => parseFilters('[1]')).toThrow(InvalidParameter);
    expect(() => parseFilters('{"a":"b"}')).toThrow(InvalidParameter);
  });
});

describe('filter helpers', () => {
  it('validates keys with moby text', () => {
    const f = parseFilters('{"label":["x"],"bogus":["y"]}');
    expect(() => validateFilterKeys(f, ['label', 'status'])).toThrow("invalid filter 'bogus'");
    expect(() => validateFilterKeys(f, ['label', 'bogus'])).not.toThrow();
    expect(filterValues(f, 'none')).toEqual([]);
  });

  it('matches labels', () => {
    const labels = { a: 'b', c: '' };
    expect(matchLabels(undefined, labels)).toBe(true);
    expect(matchLabels([], null)).toBe(true);
    expect(matchLabels(['a'], labels)).toBe(true);
    expect(matchLabels(['a=b'], labels)).toBe(true);
    expect(matchLabels(['a=x'], labels)).toBe(false);
    expect(matchLabels(['a=b', 'c'], labels)).toBe(true);
    expect(matchLabels(['a=b', 'd'], labels)).toBe(false);
    expect(matchLabels(['c='], labels)).toBe(true);
    expect(matchLabels(['a'], {})).toBe(false);
    expect(matchLabels(['a'], undefined)).toBe(false);
  });

  it('matches values', () => {
    expect(match([], 'x')).toBe(true);
    expect(match(['web'], 'web')).toBe(true);
    expect(match(['^we'], 'web')).toBe(true);
    expect(match(['b$'], 'web')).toBe(true);
    expect(match(['zz'], 'web')).toBe(false);
    expect(match(['('], 'web')).toBe(false);
    expect(exactMatch(['we'], 'web')).toBe(false);
    expect(exactMatch(undefined, 'web')).toBe(true);
    expect(fuzzyMatch(['we'], 'web')).toBe(true);
    expect(fuzzyMatch(['eb'], 'web')).toBe(false);
  });
});
