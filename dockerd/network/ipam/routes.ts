// The host's routes, read from procfs without spawning `ip`: Docker skips a default pool that overlaps
// any route of the host (libnetwork's CheckRouteOverlaps), so a network never shadows a LAN or VPN.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { parseCidr, type Cidr } from './cidr.js';
import { formatIP } from './ip.js';

export interface HostRoute {
  /** The destination subnet, canonical CIDR text (default routes are left out). */
  readonly destination: string;
  /** The interface the route leaves by (`eth0`, `docker0`, `br-…`). */
  readonly iface: string;
}

/** RTF_LOCAL: a route to one of the host's own addresses (IPv6 lists them with the others). */
const RTF_LOCAL = 0x80000000;

function ipv4FromProcHex(hex: string): bigint {
  const bytes = hex.match(/../g) ?? [];
  // /proc/net/route prints the address as a host-order integer.
  const ordered = endianness() === 'LE' ? bytes.reverse() : bytes;
  return BigInt(`0x${ordered.join('') || '0'}`);
}

function prefixFromMask(mask: bigint): number {
  let n = 0;
  for (let bit = 31n; bit >= 0n && (mask >> bit) & 1n; bit--) n++;
  return n;
}

/** Parse the text of /proc/net/route: IPv4 routes other than default routes. */
export function parseProcRoute(text: string): HostRoute[] {
  const out: HostRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const prefix = prefixFromMask(ipv4FromProcHex(f[7]));
    if (prefix === 0) continue;
    const network = ipv4FromProcHex(f[1]);
    out.push({ destination: `${formatIP({ family: 4, value: network })}/${prefix}`, iface: f[0] });
  }
  return out;
}

/** Parse the text of /proc/net/ipv6_route: IPv6 routes other than default, local and multicast ones. */
export function parseProcIPv6Route(text: string): HostRoute[] {
  const out: HostRoute[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^[0-9a-f]{32}$/i.test(f[0])) continue;
    const prefix = parseInt(f[1], 16);
    const flags = parseInt(f[8], 16);
    if (prefix === 0 || flags & RTF_LOCAL || /^ff/i.test(f[0])) continue;
    const network = BigInt(`0x${f[0]}`);
    out.push({ destination: `${formatIP({ family: 6, value: network })}/${prefix}`, iface: f[9] });
  }
  return out;
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The host's IPv4 and IPv6 routes from `/proc/net/route` and `/proc/net/ipv6_route` (missing files: none). */
export function readHostRoutes(procNet = '/proc/net'): HostRoute[] {
  return [
    ...parseProcRoute(readOr(`${procNet}/route`)),
    ...parseProcIPv6Route(readOr(`${procNet}/ipv6_route`)),
  ];
}

/** The routes as subnets, leaving out those that leave by one of `exceptIfaces` (the daemon's own bridges). */
export function routeSubnets(routes: readonly HostRoute[], exceptIfaces: readonly string[] = []): Cidr[] {
  const out: Cidr[] = [];
  for (const r of routes) {
    if (exceptIfaces.includes(r.iface)) continue;
    const c = parseCidr(r.destination);
    if (c) out.push(c);
  }
  return out;
}
