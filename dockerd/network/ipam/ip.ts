// IP addresses as numbers: parse and format IPv4 and IPv6 the way Go's `net` package does (dockerd is
// written in Go and clients compare the strings), with the address held as a bigint so IPv4 and IPv6
// share one arithmetic.

export type Family = 4 | 6;

export interface IP {
  readonly family: Family;
  /** The address as an unsigned integer of 32 (IPv4) or 128 (IPv6) bits. */
  readonly value: bigint;
}

export function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

function parseIPv4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    // Go (since 1.17) refuses leading zeros, which some tools read as octal.
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseGroups(s: string): bigint[] | null {
  if (s === '') return [];
  const out: bigint[] = [];
  for (const g of s.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    out.push(BigInt(`0x${g}`));
  }
  return out;
}

function parseIPv6(s: string): bigint | null {
  let text = s;
  // An IPv4 address may end the text (::ffff:1.2.3.4): rewrite it as its two hex groups.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  let groups: bigint[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0]);
    const rest = parseGroups(halves[1]);
    if (!head || !rest) return null;
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<bigint>(missing).fill(0n), ...rest];
  } else {
    const all = parseGroups(text);
    if (!all) return null;
    groups = all;
  }
  if (groups.length !== 8) return null;
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;

/**
 * Parses an address like Go's net.ParseIP; null when it is not one. An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is an IPv4 address, as Go's `To4()` sees it.
 */
export function parseIP(s: string): IP | null {
  if (s.includes(':')) {
    const v = parseIPv6(s);
    if (v === null) return null;
    if (v >> 32n === 0xffffn) return { family: 4, value: v - V4_MAPPED_PREFIX };
    return { family: 6, value: v };
  }
  const v = parseIPv4(s);
  return v === null ? null : { family: 4, value: v };
}

function formatIPv6(v: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  // The longest run of two or more zero groups becomes "::" (the first one on a tie), as Go prints.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** The text of an address: dotted quad for IPv4, RFC 5952 for IPv6 (what Go's IP.String gives). */
export function formatIP(ip: IP): string {
  if (ip.family === 6) return formatIPv6(ip.value);
  const v = ip.value;
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
}

/** Parse then format: the canonical text of an address, or null when it is not one. */
export function canonicalIP(s: string): string | null {
  const ip = parseIP(s);
  return ip ? formatIP(ip) : null;
}

/** Docker's MAC for an IPv4 address: 02:42 followed by the address's four bytes. */
export function macFromIPv4(address: string): string {
  const ip = parseIP(address);
  if (!ip || ip.family !== 4) throw new Error(`not an IPv4 address: ${address}`);
  const bytes = [24n, 16n, 8n, 0n].map((s) => Number((ip.value >> s) & 0xffn));
  return ['02', '42', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
