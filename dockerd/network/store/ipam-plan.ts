// The address plan of a new bridge network from its request's IPAM section, with libnetwork 20.10's
// rules and error texts: each subnet is the client's (checked against the subnets already taken) or the
// next free default pool; the gateway is the client's or the first free address of the range; aux
// addresses are reserved. `IPAM.Config` is echoed as given, or gets the allocated Subnet and Gateway.
import { Forbidden, InvalidParameter, NotFound, SystemError } from '../../errdefs/index.js';
import { nextAddress, reservedAddresses, type SubnetState } from '../ipam/addresses.js';
import {
  cidrContains,
  cidrsOverlap,
  formatCidr,
  parseCidr,
  parseCidrWithAddress,
  type Cidr,
} from '../ipam/cidr.js';
import { formatIP, parseIP, type Family } from '../ipam/ip.js';
import type { PoolPicker } from '../ipam/pools.js';
import type { IpamConfigEntry, NetworkCreateRequest } from './types.js';

/** A subnet some network holds, with the network's names for conflict messages. */
export interface TakenSubnet {
  cidr: Cidr;
  ipRange?: string;
  networkId: string;
  bridgeName: string;
}

export interface IpamPlanInput {
  req: NetworkCreateRequest;
  id: string;
  bridgeName: string;
  taken: readonly TakenSubnet[];
  picker: PoolPicker;
  /** The host's routes as subnets (asked only when a default pool is needed). */
  hostRoutes: () => readonly Cidr[];
}

export interface IpamPlan {
  ipv4: SubnetState;
  ipv6?: SubnetState;
  /** `IPAM.Config` as `GET /networks/{id}` shows it. */
  config: IpamConfigEntry[];
}

interface Parsed {
  entry: IpamConfigEntry;
  cidr: Cidr;
}

/** dockerd's getIpamConfig: every entry needs a valid Subnet; entries split by address family. */
export function splitIpamConfig(entries: readonly IpamConfigEntry[]): { v4: Parsed[]; v6: Parsed[] } {
  const v4: Parsed[] = [];
  const v6: Parsed[] = [];
  for (const entry of entries) {
    const subnet = entry.Subnet ?? '';
    const p = parseCidrWithAddress(subnet);
    if (!p) throw new InvalidParameter(`Invalid subnet ${subnet} : invalid CIDR address: ${subnet}`);
    (p.cidr.family === 4 ? v4 : v6).push({ entry, cidr: p.cidr });
  }
  return { v4, v6 };
}

function echo(entry: IpamConfigEntry): IpamConfigEntry {
  const out: IpamConfigEntry = {};
  if (entry.Subnet) out.Subnet = entry.Subnet;
  if (entry.IPRange) out.IPRange = entry.IPRange;
  if (entry.Gateway) out.Gateway = entry.Gateway;
  if (entry.AuxiliaryAddresses && Object.keys(entry.AuxiliaryAddresses).length > 0)
    out.AuxiliaryAddresses = { ...entry.AuxiliaryAddresses };
  return out;
}

function requestPool(input: IpamPlanInput, p: Parsed, taken: TakenSubnet[]): Cidr {
  const { entry, cidr } = p;
  let range: Cidr | null = null;
  if (entry.IPRange) {
    range = parseCidr(entry.IPRange);
    if (!range || range.family !== cidr.family)
      throw new SystemError(
        `failed to parse pool request for address space "LocalDefault" pool "${entry.Subnet}" subpool "${entry.IPRange}": Invalid Address SubPool`,
      );
    if (!cidrContains(cidr, { family: range.family, value: range.network }) || range.prefix < cidr.prefix)
      throw new InvalidParameter(`no matching subnet for range ${entry.IPRange}`);
  }
  const clash = taken.find((t) => cidrsOverlap(t.cidr, cidr));
  if (clash) {
    // A new ip-range on a subnet that is already held passes libnetwork's IPAM; its bridge driver refuses.
    const sameSubnet = formatCidr(clash.cidr) === formatCidr(cidr);
    if (range && sameSubnet && clash.ipRange !== formatCidr(range))
      throw new Forbidden(
        `cannot create network ${input.id} (${input.bridgeName}): conflicts with network ${clash.networkId} (${clash.bridgeName}): networks have overlapping IPv${cidr.family}`,
      );
    throw new Forbidden('Pool overlaps with other one on this address space');
  }
  return cidr;
}

function planOne(input: IpamPlanInput, family: Family, p: Parsed | null, taken: TakenSubnet[]): SubnetState {
  const entry = p?.entry ?? {};
  if (entry.Gateway && !parseIP(entry.Gateway))
    throw new InvalidParameter(`invalid gateway address ${entry.Gateway} in Ipam configuration`);
  let cidr: Cidr;
  if (p) cidr = requestPool(input, p, taken);
  else {
    const picked = input.picker.next(
      family,
      taken.map((t) => t.cidr),
      input.hostRoutes(),
    );
    if (!picked)
      throw new NotFound(
        `could not find an available, non-overlapping IPv${family} address pool among the defaults to assign to the network`,
      );
    cidr = picked;
  }
  taken.push({ cidr, networkId: input.id, bridgeName: input.bridgeName });
  const state: SubnetState = { subnet: formatCidr(cidr), gateway: '', aux: {}, user: p !== null };
  if (entry.IPRange) state.ipRange = formatCidr(parseCidr(entry.IPRange) as Cidr);

  const used = reservedAddresses(state);
  if (entry.Gateway) {
    const gw = parseIP(entry.Gateway);
    if (!gw || !cidrContains(cidr, gw))
      throw new SystemError(
        `failed to allocate gateway (${entry.Gateway}): Requested address is out of range`,
      );
    if (used.has(gw.value))
      throw new SystemError(`failed to allocate gateway (${entry.Gateway}): Address already in use`);
    state.gateway = formatIP(gw);
  } else {
    const gw = nextAddress(state, used);
    if (!gw) throw new SystemError('failed to allocate gateway (): No available addresses on this pool');
    state.gateway = gw;
  }
  used.add((parseIP(state.gateway) as { value: bigint }).value);

  for (const [k, v] of Object.entries(entry.AuxiliaryAddresses ?? {})) {
    const ip = parseIP(v);
    if (!ip)
      throw new InvalidParameter(
        `non parsable secondary ip address (${k}:${v}) passed for network ${input.req.Name}`,
      );
    if (!cidrContains(cidr, ip))
      throw new Forbidden(
        `auxiliary address: (${k}:${v}) must belong to the master pool: ${formatCidr(cidr)}`,
      );
    if (used.has(ip.value))
      throw new SystemError(`failed to allocate secondary ip address (${k}:${v}): Address already in use`);
    used.add(ip.value);
    state.aux[k] = formatIP(ip);
  }
  return state;
}

/** Plans the subnets of a new bridge network. Throws Docker's errors; changes nothing but the picker. */
export function planIpam(input: IpamPlanInput): IpamPlan {
  const { v4, v6 } = splitIpamConfig(input.req.IPAM?.Config ?? []);
  const taken = [...input.taken];
  const v4States = (v4.length > 0 ? v4 : [null]).map((p) => planOne(input, 4, p, taken));
  const wantV6 = input.req.EnableIPv6 === true;
  const v6States = wantV6 ? (v6.length > 0 ? v6 : [null]).map((p) => planOne(input, 6, p, taken)) : [];
  if (v4States.length > 1 || v6States.length > 1)
    throw new Forbidden("bridge driver doesn't support multiple subnets");

  const config: IpamConfigEntry[] =
    v4.length > 0
      ? v4.map((p) => echo(p.entry))
      : [{ Subnet: v4States[0].subnet, Gateway: v4States[0].gateway }];
  if (v6.length > 0) config.push(...v6.map((p) => echo(p.entry)));
  else if (v6States.length > 0) config.push({ Subnet: v6States[0].subnet, Gateway: v6States[0].gateway });
  return { ipv4: v4States[0], ipv6: v6States[0], config };
}
