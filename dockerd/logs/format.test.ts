import { describe, expect, it } from 'vitest';
import { InvalidParameter } from '../errdefs/index.js';
import { formatRFC3339Nano, formatTimestamp, nowNs, parseDockerTime, parseRFC3339 } from './format.js';

const S = 1_000_000_000n;
const base = BigInt(Date.UTC(2026, 10, 23, 16, 39, 22) / 1000) * S;

describe('formatTimestamp / formatRFC3339Nano', () => {
  it('docker logs -t uses 9 fixed digits', () => {
    expect(formatTimestamp(base + 56220185n)).toBe('2026-11-23T16:39:22.056220185Z');
    expect(formatTimestamp(base + 56220100n)).toBe('2026-11-23T16:39:22.056220100Z');
    expect(formatTimestamp(base)).toBe('2026-11-23T16:39:22.000000000Z');
  });

  it('the file format trims trailing zeros like Go RFC3339Nano', () => {
    expect(formatRFC3339Nano(base + 56220185n)).toBe('2026-11-23T16:39:22.056220185Z');
    expect(formatRFC3339Nano(base + 56220100n)).toBe('2026-11-23T16:39:22.0562201Z');
    expect(formatRFC3339Nano(base + 500_000_000n)).toBe('2026-11-23T16:39:22.5Z');
    expect(formatRFC3339Nano(base)).toBe('2026-11-23T16:39:22Z');
  });

  it('handles times before the epoch', () => {
    expect(formatTimestamp(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(formatRFC3339Nano(0n)).toBe('1970-01-01T00:00:00Z');
  });
});

describe('parseRFC3339', () => {
  it('round-trips and honours offsets', () => {
    for (const t of [base, base + 1n, base + 56220100n, 0n, -1n, 253402300799n * S]) {
      expect(parseRFC3339(formatRFC3339Nano(t))).toBe(t);
      expect(parseRFC3339(formatTimestamp(t))).toBe(t);
    }
    expect(parseRFC3339('2026-11-23T18:39:22.5+02:00')).toBe(base + 500_000_000n);
    expect(parseRFC3339('2026-11-23T16:39:22.0000000019Z')).toBe(base + 1n);
  });

  it('rejects garbage', () => {
    for (const s of [
      '',
      '2026-11-23',
      '2026-13-01T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-11-23T16:39:22',
    ]) {
      expect(() => parseRFC3339(s)).toThrow();
    }
  });
});

describe('parseDockerTime', () => {
  it('parses unix seconds with optional fraction', () => {
    expect(parseDockerTime('1577836800.000000000')).toBe(1577836800n * S);
    expect(parseDockerTime('1577836800.000000001')).toBe(1577836800n * S + 1n);
    expect(parseDockerTime('1577836800')).toBe(1577836800n * S);
    expect(parseDockerTime('1577836800.5')).toBe(1577836800n * S + 500_000_000n);
    expect(parseDockerTime('1577836800.1234567891')).toBe(1577836800n * S + 123456789n);
    expect(parseDockerTime('0')).toBe(0n);
    expect(parseDockerTime('')).toBe(0n);
  });

  it('parses RFC3339 forms', () => {
    expect(parseDockerTime('2020-01-01T00:00:00Z')).toBe(1577836800n * S);
    expect(parseDockerTime('2020-01-01T02:00:00.25+02:00')).toBe(1577836800n * S + 250_000_000n);
    expect(parseDockerTime('2020-01-01')).toBe(1577836800n * S);
    expect(parseDockerTime('2020-01-01T00:30')).toBe(1577838600n * S);
  });

  it('rejects garbage with a Go-like message', () => {
    expect(() => parseDockerTime('abc')).toThrow(/invalid syntax/);
    // A 400, not a 500 (the API fuzzer's `logs?since=linux/amd64`).
    expect(() => parseDockerTime('linux/amd64')).toThrow(InvalidParameter);
    expect(() => parseDockerTime('12.')).toThrow(/invalid syntax/);
    expect(() => parseDockerTime('2020-13-01')).toThrow(/month/);
  });
});

describe('nowNs', () => {
  it('is close to Date.now and has sub-millisecond resolution', () => {
    const a = nowNs();
    expect(Number(a / 1_000_000n) - Date.now()).toBeLessThan(50);
    expect(Array.from({ length: 5 }, () => nowNs() % 1_000_000n).some((r) => r !== 0n)).toBe(true);
  });
});
