// The networks every dockerd has: `none` (null driver), `host` and the default `bridge` (docker0, or
// `--bridge`, on `--bip`'s subnet or the first default pool that no host route overlaps).
import { InvalidParameter } from '../../errdefs/index.js';
import { formatRFC3339Nano, nowNs } from '../../logs/format.js';
import { nextAddress, reservedAddresses, type SubnetState } from '../ipam/addresses.js';
import {
  cidrContains,
  cidrsOverlap,
  formatCidr,
  parseCidr,
  parseCidrWithAddress,
  type Cidr,
} from '../ipam/cidr.js';
import { formatIP, parseIP } from '../ipam/ip.js';
import type { PoolPicker } from '../ipam/pools.js';
import { defaultBridgeOptions } from './bridge-options.js';
import type { IpamConfigEntry, NetworkRecord } from './types.js';

/** What the daemon's options say about the default bridge network. */
export interface DefaultBridgeSpec {
  /**
   * The Linux bridge (`--bridge`, default `docker0`). Routes via this interface count as the default
   * bridge's own when its subnet is chosen: the caller must already have refused to start when the
   * device belongs to another daemon.
   */
  bridgeName: string;
  /** Its subnet (from `--bip`); absent: the first default pool free of foreign routes and networks. */
  subnet?: string;
  /**
   * Its address (from `--bip`, or the address the bridge already had). dockerd lists the gateway in
   * `IPAM.Config` only then; absent: the subnet's first address, not listed.
   */
  gateway?: string;
  /** `--fixed-cidr`: the range containers' addresses come from. */
  ipRange?: string;
  /** The network's `Options` (see defaultBridgeOptions). */
  options: Record<string, string>;
}

/**
 * The spec from the daemon's options: `--bridge`, `--bip` (address/prefix: the subnet and the bridge's
 * address), `--fixed-cidr`, `--icc`, `--ip`, `--mtu`, `--ip-masq`.
 */
export function defaultBridgeSpec(o: {
  bridge: string;
  bip?: string;
  fixedCidr?: string;
  icc: boolean;
  ip: string;
  mtu?: number;
  masquerade?: boolean;
}): DefaultBridgeSpec {
  const spec: DefaultBridgeSpec = {
    bridgeName: o.bridge,
    options: defaultBridgeOptions({
      bridgeName: o.bridge,
      icc: o.icc,
      masquerade: o.masquerade,
      hostBindingIPv4: o.ip,
      mtu: o.mtu,
    }),
  };
  if (o.bip !== undefined) {
    const p = parseCidrWithAddress(o.bip);
    if (!p || p.address.family !== 4) throw new InvalidParameter(`invalid --bip ${o.bip}`);
    spec.subnet = formatCidr(p.cidr);
    spec.gateway = formatIP(p.address);
  }
  if (o.fixedCidr !== undefined) spec.ipRange = o.fixedCidr;
  return spec;
}

function baseRecord(name: string, driver: string, id: string): NetworkRecord {
  return {
    Name: name,
    Id: id,
    Created: formatRFC3339Nano(nowNs()),
    Scope: 'local',
    Driver: driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Options: {},
    Labels: {},
    bridgeName: '',
    endpoints: {},
  };
}

export function nullNetwork(id: string): NetworkRecord {
  return baseRecord('none', 'null', id);
}

export function hostNetwork(id: string): NetworkRecord {
  return baseRecord('host', 'host', id);
}

export interface DefaultBridgeContext {
  /** The current `bridge` record, kept (id and endpoints) when its plan is unchanged. */
  current?: NetworkRecord;
  /** Subnets of the other networks. */
  taken: readonly { cidr: Cidr; name: string }[];
  picker: PoolPicker;
  /** Host routes, without those of the default bridge itself. */
  hostRoutes: () => readonly Cidr[];
  newId: () => string;
}

function bridgeSubnet(spec: DefaultBridgeSpec, ctx: DefaultBridgeContext): Cidr {
  if (spec.subnet !== undefined) {
    const c = parseCidr(spec.subnet);
    if (!c || c.family !== 4) throw new InvalidParameter(`invalid default bridge subnet ${spec.subnet}`);
    return c;
  }
  if (ctx.current?.ipv4) {
    const c = parseCidr(ctx.current.ipv4.subnet) as Cidr;
    const routes = ctx.hostRoutes();
    if (!ctx.taken.some((t) => cidrsOverlap(t.cidr, c)) && !routes.some((r) => cidrsOverlap(r, c))) return c;
  }
  const c = ctx.picker.first(
    4,
    ctx.taken.map((t) => t.cidr),
    ctx.hostRoutes(),
  );
  if (!c)
    throw new InvalidParameter(
      'could not find an available, non-overlapping IPv4 address pool for the default bridge: set --bip',
    );
  return c;
}

/** The default bridge's record: the current one when nothing changed but its options, else a new one. */
export function defaultBridgeNetwork(spec: DefaultBridgeSpec, ctx: DefaultBridgeContext): NetworkRecord {
  const cidr = bridgeSubnet(spec, ctx);
  const clash = ctx.taken.find((t) => cidrsOverlap(t.cidr, cidr));
  if (clash)
    throw new InvalidParameter(
      `the default bridge's subnet ${formatCidr(cidr)} overlaps network ${clash.name} (${formatCidr(clash.cidr)}): change --bip`,
    );
  const state: SubnetState = { subnet: formatCidr(cidr), gateway: '', aux: {}, user: false };
  if (spec.ipRange !== undefined) {
    const r = parseCidr(spec.ipRange);
    if (!r || !cidrContains(cidr, { family: 4, value: r.network }) || r.prefix < cidr.prefix)
      throw new InvalidParameter(`invalid fixed-cidr ${spec.ipRange}: it must be inside ${formatCidr(cidr)}`);
    state.ipRange = formatCidr(r);
  }
  if (spec.gateway !== undefined) {
    const gw = parseIP(spec.gateway);
    if (!gw || !cidrContains(cidr, gw))
      throw new InvalidParameter(
        `the default bridge's address ${spec.gateway} is outside ${formatCidr(cidr)}`,
      );
    state.gateway = formatIP(gw);
  } else {
    state.gateway = nextAddress({ ...state, ipRange: undefined }, reservedAddresses(state)) ?? '';
  }
  const entry: IpamConfigEntry = { Subnet: state.subnet };
  if (spec.ipRange !== undefined) entry.IPRange = spec.ipRange;
  if (spec.gateway !== undefined) entry.Gateway = spec.gateway;

  const cur = ctx.current;
  const unchanged =
    cur?.ipv4 &&
    cur.bridgeName === spec.bridgeName &&
    cur.ipv4.subnet === state.subnet &&
    cur.ipv4.gateway === state.gateway &&
    cur.ipv4.ipRange === state.ipRange;
  const base = cur && unchanged ? cur : baseRecord('bridge', 'bridge', ctx.newId());
  return {
    ...base,
    IPAM: { Driver: 'default', Options: null, Config: [entry] },
    Options: { ...spec.options },
    bridgeName: spec.bridgeName,
    ipv4: state,
    endpoints: cur && unchanged ? cur.endpoints : {},
  };
}
