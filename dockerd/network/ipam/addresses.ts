// Addresses inside one subnet, as libnetwork's default IPAM hands them out: the lowest free address of
// the subnet (or of the ip-range when there is one), never the subnet's own address nor, for IPv4, its
// broadcast address, never one already reserved (gateway, aux addresses, endpoints).
import { cidrContains, lastAddress, parseCidr, type Cidr } from './cidr.js';
import { formatIP, parseIP, type IP } from './ip.js';

/** The address plan of one network for one address family, as persisted with the network. */
export interface SubnetState {
  /** The subnet, canonical CIDR text. */
  subnet: string;
  /** The gateway (the bridge's address), without prefix. */
  gateway: string;
  /** The ip-range new endpoints are taken from, canonical CIDR text, when the client gave one. */
  ipRange?: string;
  /** The client's aux addresses (name → address), reserved. */
  aux: Record<string, string>;
  /** True when the client chose the subnet (only then may an endpoint ask for a given address). */
  user: boolean;
}

export function subnetOf(s: SubnetState): Cidr {
  const c = parseCidr(s.subnet);
  if (!c) throw new Error(`corrupt subnet ${s.subnet}`);
  return c;
}

/** Addresses no endpoint may take: the subnet's own, IPv4 broadcast, the gateway and aux addresses. */
export function reservedAddresses(s: SubnetState): Set<bigint> {
  const c = subnetOf(s);
  const out = new Set<bigint>([c.network]);
  if (c.family === 4) out.add(lastAddress(c));
  for (const a of [s.gateway, ...Object.values(s.aux)]) {
    const ip = parseIP(a);
    if (ip) out.add(ip.value);
  }
  return out;
}

/**
 * The lowest address of `subnet` (within `range` when given) that is not in `used`, or null when none
 * is left. The subnet's own address and IPv4 broadcast are never returned.
 */
export function lowestFree(subnet: Cidr, range: Cidr | null, used: ReadonlySet<bigint>): bigint | null {
  let start = subnet.network + 1n;
  let end = lastAddress(subnet) - (subnet.family === 4 ? 1n : 0n);
  if (range) {
    if (range.network > start) start = range.network;
    if (lastAddress(range) < end) end = lastAddress(range);
  }
  for (let v = start; v <= end; v++) if (!used.has(v)) return v;
  return null;
}

/** The next free address of a network's subnet (in its ip-range when set), as text; null when full. */
export function nextAddress(s: SubnetState, used: ReadonlySet<bigint>): string | null {
  const c = subnetOf(s);
  const range = s.ipRange ? parseCidr(s.ipRange) : null;
  const v = lowestFree(c, range, used);
  return v === null ? null : formatIP({ family: c.family, value: v });
}

export function inSubnet(s: SubnetState, ip: IP): boolean {
  return cidrContains(subnetOf(s), ip);
}
