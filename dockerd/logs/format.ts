/**
 * Time helpers for the json-file log driver.
 *
 * All times are bigint nanoseconds since the Unix epoch (UTC).
 *
 * - `formatTimestamp` is what `docker logs -t` prints: Go's `RFC3339NanoFixed` layout
 *   (`2006-01-02T15:04:05.000000000Z07:00`), i.e. always 9 fraction digits.
 * - `formatRFC3339Nano` is what the json-file driver stores in the `time` field: Go's `time.RFC3339Nano`
 *   layout, where trailing zeros of the fraction are trimmed (and the dot too when the fraction is 0).
 */
import { InvalidParameter } from '../errdefs/index.js';

const NS_PER_SEC = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;

function floorDiv(a: bigint, b: bigint): [bigint, bigint] {
  let q = a / b;
  let r = a % b;
  if (r < 0n) {
    q -= 1n;
    r += b;
  }
  return [q, r];
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DDTHH:MM:SS` (UTC) of a whole number of seconds, plus the nanosecond remainder. */
function splitTime(ns: bigint): { base: string; frac: bigint } {
  const [sec, frac] = floorDiv(ns, NS_PER_SEC);
  const d = new Date(Number(sec) * 1000);
  if (Number.isNaN(d.getTime())) throw new RangeError(`timestamp out of range: ${ns}`);
  const y = d.getUTCFullYear();
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : String(y);
  const base =
    `${year}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return { base, frac };
}

/** `docker logs --timestamps` format: RFC3339 with exactly 9 fraction digits, UTC (`...T16:39:22.056220100Z`). */
export function formatTimestamp(ns: bigint): string {
  const { base, frac } = splitTime(ns);
  return `${base}.${frac.toString().padStart(9, '0')}Z`;
}

/** Go's `time.RFC3339Nano` in UTC, as json-file writes it: trailing fraction zeros trimmed (`...T16:39:22.0562201Z`, `...T16:39:22Z`). */
export function formatRFC3339Nano(ns: bigint): string {
  const { base, frac } = splitTime(ns);
  if (frac === 0n) return `${base}Z`;
  return `${base}.${frac.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function utcSeconds(y: number, mo: number, d: number, h: number, mi: number, s: number): bigint {
  if (mo < 1 || mo > 12) throw new Error('month out of range');
  const dim = mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1];
  if (d < 1 || d > dim) throw new Error('day out of range');
  if (h > 23) throw new Error('hour out of range');
  if (mi > 59) throw new Error('minute out of range');
  if (s > 59) throw new Error('second out of range');
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return BigInt(date.getTime() / 1000);
}

function fractionToNs(frac: string | undefined): bigint {
  if (!frac) return 0n;
  // Go truncates digits past nanoseconds.
  return BigInt(frac.slice(0, 9).padEnd(9, '0'));
}

function zoneOffsetSeconds(zone: string | undefined): bigint {
  if (!zone || zone === 'Z' || zone === 'z') return 0n;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!m) throw new Error(`bad time zone ${JSON.stringify(zone)}`);
  const h = Number(m[2]);
  const mi = Number(m[3]);
  if (h > 23 || mi > 59) throw new Error('time zone offset out of range');
  const off = BigInt(h * 3600 + mi * 60);
  return m[1] === '-' ? -off : off;
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC3339 timestamp with optional fraction (what json-file stores in `time`) to nanoseconds.
 * Throws on anything else.
 */
export function parseRFC3339(s: string): bigint {
  const m = RFC3339_RE.exec(s);
  if (!m) throw new Error(`invalid RFC3339 timestamp ${JSON.stringify(s)}`);
  const sec = utcSeconds(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return (sec - zoneOffsetSeconds(m[8])) * NS_PER_SEC + fractionToNs(m[7]);
}

// Date, optionally with hour[:minute[:second[.fraction]]], optionally with a zone (UTC when absent).
const LOOSE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses the `since` / `until` query values of `GET /containers/{id}/logs` to nanoseconds.
 *
 * Accepted, like dockerd's `timetypes.ParseTimestamps`: `""` (→ 0n), `<unix seconds>` (docker-py sends ints),
 * `<unix seconds>.<fraction>` (the docker CLI sends `%d.%09d`; a shorter fraction is scaled, a longer one is
 * truncated to nanoseconds). Also accepted, more lenient than dockerd: RFC3339 / date-only forms such as
 * `2020-01-01T00:00:00.5Z`, `2020-01-01T10:00+02:00`, `2020-01-01` (no zone = UTC).
 * Throws an Error with a Go-like message otherwise.
 */
export function parseDockerTime(s: string): bigint {
  try {
    return parseTime(s);
  } catch (err) {
    // A request's since/until/filter value: its fault, a 400 (found by the API fuzzer as a 500).
    throw new InvalidParameter((err as Error).message);
  }
}

function parseTime(s: string): bigint {
  const v = s.trim();
  if (v === '') return 0n;
  const num = /^([+-]?\d+)(?:\.(\d*))?$/.exec(v);
  if (num) {
    const secs = BigInt(num[1]);
    const fracText = num[2];
    if (fracText === undefined) return secs * NS_PER_SEC;
    if (fracText === '') throw new Error(`strconv.ParseInt: parsing "": invalid syntax`);
    const frac = fractionToNs(fracText);
    // "-1.5" means -1 s and 0.5 s later (Go: time.Unix(-1, 500000000)), like dockerd.
    return secs * NS_PER_SEC + frac;
  }
  const m = LOOSE_TIME_RE.exec(v);
  if (m) {
    try {
      const sec = utcSeconds(
        Number(m[1]),
        Number(m[2]),
        Number(m[3]),
        Number(m[4] ?? 0),
        Number(m[5] ?? 0),
        Number(m[6] ?? 0),
      );
      return (sec - zoneOffsetSeconds(m[8])) * NS_PER_SEC + fractionToNs(m[7]);
    } catch (err) {
      throw new Error(`parsing time ${JSON.stringify(v)}: ${(err as Error).message}`);
    }
  }
  const head = v.split('.')[0];
  throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(head)}: invalid syntax`);
}

// Wall clock with nanosecond resolution: Date.now() as a base, process.hrtime for the sub-millisecond part.
// Re-based when it drifts from Date.now() (clock steps, NTP slews) by more than 20 ms.
let baseWallNs = BigInt(Date.now()) * NS_PER_MS;
let baseHr = process.hrtime.bigint();
const MAX_DRIFT_NS = 20n * NS_PER_MS;

/** Current wall-clock time in nanoseconds since the epoch. */
export function nowNs(): bigint {
  const wallMs = BigInt(Date.now()) * NS_PER_MS;
  const hr = process.hrtime.bigint();
  const t = baseWallNs + (hr - baseHr);
  const drift = t - wallMs;
  if (drift > MAX_DRIFT_NS || drift < -MAX_DRIFT_NS) {
    baseWallNs = wallMs;
    baseHr = hr;
    return wallMs;
  }
  return t;
}
