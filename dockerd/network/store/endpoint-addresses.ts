// An endpoint's addresses on one network: the address the client asked for (`--ip`, `--ip6`,
// EndpointConfig.IPAMConfig) when dockerd would allow it, else the lowest free one; with dockerd's and
// libnetwork's refusal texts. Pure functions over a record; the store persists the result.
import { Conflict, Forbidden, InvalidParameter, SystemError } from '../../errdefs/index.js';
import { inSubnet, nextAddress, reservedAddresses, type SubnetState } from '../ipam/addresses.js';
import { formatIP, macFromIPv4, parseIP, type Family } from '../ipam/ip.js';
import { parseCidr } from '../ipam/cidr.js';
import {
  isPredefinedName,
  type EndpointAddresses,
  type EndpointAllocation,
  type NetworkRecord,
} from './types.js';

/** Addresses a client asks for; '' or absent means "any". */
export interface AddressRequest {
  ipv4?: string;
  ipv6?: string;
}

function usedAddresses(rec: Readonly<NetworkRecord>, state: SubnetState, family: Family): Set<bigint> {
  const used = reservedAddresses(state);
  for (const e of Object.values(rec.endpoints)) {
    const a = family === 4 ? e.ipv4 : e.ipv6;
    const ip = a ? parseIP(a) : null;
    if (ip) used.add(ip.value);
  }
  return used;
}

/** Whether the client configured a subnet of this family (dockerd's condition for a fixed address). */
function hasUserSubnet(rec: Readonly<NetworkRecord>, family: Family): boolean {
  const state = family === 4 ? rec.ipv4 : rec.ipv6;
  if (state) return state.user;
  // A subnet given for a network without IPv6 passes dockerd's check; the address is then ignored.
  return rec.IPAM.Config.some((c) => !!c.Subnet && parseCidr(c.Subnet)?.family === family);
}

function validate(rec: Readonly<NetworkRecord>, want: AddressRequest): void {
  if (!want.ipv4 && !want.ipv6) return;
  if (isPredefinedName(rec.Name))
    throw new InvalidParameter('user specified IP address is supported on user defined networks only');
  if (want.ipv4 && parseIP(want.ipv4)?.family !== 4)
    throw new InvalidParameter(`invalid IPv4 address: ${want.ipv4}`);
  if (want.ipv6 && parseIP(want.ipv6)?.family !== 6)
    throw new InvalidParameter(`invalid IPv6 address: ${want.ipv6}`);
  if ((want.ipv4 && !hasUserSubnet(rec, 4)) || (want.ipv6 && !hasUserSubnet(rec, 6)))
    throw new InvalidParameter(
      'user specified IP address is supported only when connecting to networks with user configured subnets',
    );
}

function pick(
  rec: Readonly<NetworkRecord>,
  state: SubnetState,
  family: Family,
  wanted: string | undefined,
): string {
  const used = usedAddresses(rec, state, family);
  if (wanted) {
    const ip = parseIP(wanted);
    if (!ip || !inSubnet(state, ip))
      throw new InvalidParameter(
        `Invalid address ${wanted}: It does not belong to any of this network's subnets`,
      );
    if (used.has(ip.value)) throw new Forbidden('Address already in use');
    return formatIP(ip);
  }
  const next = nextAddress(state, used);
  if (!next)
    throw new SystemError(
      `no available IPv${family} addresses on this network's address pools: ${rec.Name} (${rec.Id})`,
    );
  return next;
}

/**
 * The addresses endpoint `key` gets on `rec` (the record is not changed). An endpoint that already holds
 * addresses keeps them; asking it for others is a Conflict.
 */
export function chooseAddresses(
  rec: Readonly<NetworkRecord>,
  key: string,
  want: AddressRequest = {},
): EndpointAllocation {
  validate(rec, want);
  const held = rec.endpoints[key];
  if (held) {
    const same = (w: string | undefined, h: string | undefined) =>
      !w || (h !== undefined && parseIP(w)?.value === parseIP(h)?.value);
    if (same(want.ipv4, held.ipv4) && same(want.ipv6, held.ipv6)) return held;
    throw new Conflict(`endpoint ${key} already holds other addresses on network ${rec.Name}`);
  }
  const out: EndpointAllocation = {};
  if (rec.ipv4) out.ipv4 = pick(rec, rec.ipv4, 4, want.ipv4 || undefined);
  if (rec.ipv6) out.ipv6 = pick(rec, rec.ipv6, 6, want.ipv6 || undefined);
  return out;
}

function prefixLen(state: SubnetState | undefined): number {
  return state ? Number(state.subnet.slice(state.subnet.indexOf('/') + 1)) : 0;
}

/** The allocation in `NetworkSettings.Networks[n]` terms, with Docker's MAC. */
export function endpointAddresses(rec: Readonly<NetworkRecord>, a: EndpointAllocation): EndpointAddresses {
  return {
    IPAddress: a.ipv4 ?? '',
    IPPrefixLen: a.ipv4 ? prefixLen(rec.ipv4) : 0,
    Gateway: a.ipv4 && rec.ipv4 ? rec.ipv4.gateway : '',
    GlobalIPv6Address: a.ipv6 ?? '',
    GlobalIPv6PrefixLen: a.ipv6 ? prefixLen(rec.ipv6) : 0,
    IPv6Gateway: a.ipv6 && rec.ipv6 ? rec.ipv6.gateway : '',
    MacAddress: a.ipv4 ? macFromIPv4(a.ipv4) : '',
  };
}
