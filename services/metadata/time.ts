// Timestamps are kept as integer nanoseconds since the epoch (as a decimal string in JSON records, so
// no precision is lost), and converted to google.protobuf.Timestamp at the edge.

export type Nanos = bigint;

let last = 0n;

/** Wall clock in nanoseconds, strictly increasing within this process. */
export function nowNanos(): Nanos {
  const ms = BigInt(Date.now()) * 1_000_000n;
  const hr = process.hrtime.bigint() % 1_000_000n;
  let t = ms + hr;
  if (t <= last) t = last + 1n;
  last = t;
  return t;
}

export function toRecord(t: Nanos): string {
  return t.toString();
}

export function fromRecord(s: string | undefined): Nanos {
  return s === undefined || s === '' ? 0n : BigInt(s);
}

export interface ProtoTimestamp {
  seconds: number;
  nanos: number;
}

/** Go's zero time (0001-01-01T00:00:00Z): what containerd sends for an unset timestamp. */
export const ZERO_TIME: ProtoTimestamp = { seconds: -62135596800, nanos: 0 };

export function toProto(t: Nanos): ProtoTimestamp {
  if (t === 0n) return ZERO_TIME;
  return { seconds: Number(t / 1_000_000_000n), nanos: Number(t % 1_000_000_000n) };
}

export function fromProto(ts: ProtoTimestamp | undefined): Nanos {
  if (!ts || ts.seconds <= ZERO_TIME.seconds) return 0n;
  return BigInt(ts.seconds) * 1_000_000_000n + BigInt(ts.nanos);
}
