// Subnets in CIDR notation: parse like Go's net.ParseCIDR, test containment and overlap, split a base
// pool into equal subnets (what `default-address-pools` and Docker's built-in pools describe).
import { bitsOf, formatIP, parseIP, type Family, type IP } from './ip.js';

export interface Cidr {
  readonly family: Family;
  /** The network address (host bits cleared). */
  readonly network: bigint;
  readonly prefix: number;
}

function hostMask(family: Family, prefix: number): bigint {
  return (1n << BigInt(bitsOf(family) - prefix)) - 1n;
}

/**
 * Go's net.ParseCIDR: `address/prefix`, host bits allowed (they are cleared in the network), null when
 * the text is not one. `address` is the address as written, `cidr` the network it names.
 */
export function parseCidrWithAddress(s: string): { address: IP; cidr: Cidr } | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const address = parseIP(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(bitsText)) return null;
  const prefix = Number(bitsText);
  // An IPv4-mapped IPv6 address keeps IPv6 prefix lengths in Go; such input is rare enough to refuse.
  if (s.slice(0, slash).includes(':') && address.family === 4) return null;
  if (prefix > bitsOf(address.family)) return null;
  const network = address.value & ~hostMask(address.family, prefix);
  return { address, cidr: { family: address.family, network, prefix } };
}

export function parseCidr(s: string): Cidr | null {
  return parseCidrWithAddress(s)?.cidr ?? null;
}

/** Canonical text: network address / prefix (what Go's IPNet.String gives). */
export function formatCidr(c: Cidr): string {
  return `${formatIP({ family: c.family, value: c.network })}/${c.prefix}`;
}

/** The last address of the subnet (the broadcast address for IPv4). */
export function lastAddress(c: Cidr): bigint {
  return c.network | hostMask(c.family, c.prefix);
}

/** How many addresses the subnet holds. */
export function cidrSize(c: Cidr): bigint {
  return hostMask(c.family, c.prefix) + 1n;
}

export function cidrContains(c: Cidr, ip: IP): boolean {
  return ip.family === c.family && ip.value >= c.network && ip.value <= lastAddress(c);
}

/** Either subnet holds the other's network address (libnetwork's NetworkOverlaps). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  return (
    cidrContains(a, { family: b.family, value: b.network }) ||
    cidrContains(b, { family: a.family, value: a.network })
  );
}

/**
 * The subnets of prefix `size` that `base` splits into, in address order. When `size` is shorter than
 * the base's own prefix the base itself is the only subnet (libnetwork's splitNetworks does the same).
 */
export function* splitCidr(base: Cidr, size: number): Generator<Cidr> {
  if (size <= base.prefix) {
    yield base;
    return;
  }
  const step = 1n << BigInt(bitsOf(base.family) - size);
  const end = lastAddress(base);
  for (let n = base.network; n <= end; n += step) yield { family: base.family, network: n, prefix: size };
}
