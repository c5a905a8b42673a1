/**
 * Docker's IPAM, as plain functions (no I/O but `readHostRoutes`).
 *
 * - `parseIP(s)` / `formatIP(ip)` / `canonicalIP(s)`: addresses as Go prints them (`IP` = family + bigint).
 * - `parseCidr(s)` / `formatCidr(c)` / `cidrContains` / `cidrsOverlap` / `splitCidr`: subnets.
 * - `PoolPicker(pools?)`: where new networks' subnets come from. `DOCKER_DEFAULT_POOLS` (172.17–19/16,
 *   172.20/14, 172.24/14, 172.28/14 split into /16, then 192.168/16 split into /20) unless the daemon's
 *   `default-address-pools` (`AddressPool[]`, daemon.json's shape) replaces them.
 *   `next(family, taken, hostRoutes)` continues after the pool handed out last, like libnetwork 20.10;
 *   `first(...)` searches from the start (docker0's subnet). Pools overlapping a taken subnet or a host
 *   route are skipped.
 * - `readHostRoutes(procNet?)`: the host's IPv4 and IPv6 routes from /proc/net/route and
 *   /proc/net/ipv6_route (`HostRoute` = destination CIDR + iface); `routeSubnets(routes, exceptIfaces)`.
 * - `SubnetState`: one network's plan for one family (subnet, gateway, ip-range, aux addresses);
 *   `nextAddress(state, used)` is the lowest free address (in the ip-range when set), never the subnet's
 *   own address, IPv4 broadcast, the gateway or aux addresses (`reservedAddresses`).
 * - `macFromIPv4(a)`: `02:42:` + the address's four bytes.
 */
export { parseIP, formatIP, canonicalIP, macFromIPv4, type IP, type Family } from './ip.js';
export {
  parseCidr,
  parseCidrWithAddress,
  formatCidr,
  cidrContains,
  cidrsOverlap,
  splitCidr,
  lastAddress,
  type Cidr,
} from './cidr.js';
export { PoolPicker, DOCKER_DEFAULT_POOLS, type AddressPool } from './pools.js';
export {
  readHostRoutes,
  parseProcRoute,
  parseProcIPv6Route,
  routeSubnets,
  type HostRoute,
} from './routes.js';
export {
  nextAddress,
  lowestFree,
  reservedAddresses,
  inSubnet,
  subnetOf,
  type SubnetState,
} from './addresses.js';
