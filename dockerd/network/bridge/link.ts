// The bridge device of one network: created once (random `02:42:…` MAC as dockerd's, gateway
// address, MTU, up), marked as ours with an interface alias, and reused after a daemon restart. A
// bridge of the same name, or an address/route in the same subnet, that we did not create belongs
// to someone else (another daemon's docker0, a VPN, …): we refuse, naming the option to change,
// and never touch it.
import { randomBytes } from 'node:crypto';
import { Conflict } from '../../errdefs/index.js';
import { networkOf, overlaps, parseCidr } from './cidr.js';
import { type LinkInfo, ipBatch, isNoSuchDevice, links, routes, setInterfaceSysctl } from './ip.js';

export interface BridgeLinkConfig {
  /** Interface name (`docker0`, `br-<id12>`, …; at most 15 characters). */
  name: string;
  /** The gateway address given to the bridge, e.g. `172.17.0.1`. */
  gateway: string;
  prefixLen: number;
  /** Default 1500. */
  mtu?: number;
  /** net.ipv4.conf.<bridge>.route_localnet=1, needed to DNAT 127.0.0.1 without a userland proxy. */
  routeLocalnet?: boolean;
  /** The option a user changes to pick another name (default `--bridge`; `com.docker.network.bridge.name` for user networks). */
  nameOption?: string;
  /** The option a user changes to pick another subnet (default `--bip`; `--subnet` for user networks). */
  subnetOption?: string;
  /** IPv6-enabled networks: the bridge's IPv6 address. */
  gateway6?: string;
  prefixLen6?: number;
}

/** The alias tsctr-dockerd writes on the bridges it creates (`ip link show` prints it). */
export const DEFAULT_OWNER = 'tsctr-dockerd';

export class BridgeConflict extends Conflict {
  constructor(
    message: string,
    readonly what: 'name' | 'subnet',
  ) {
    super(message);
  }
}

function randomMac(): string {
  return ['02', '42', ...[...randomBytes(4)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** Refuses when the name or the subnet is taken by something we did not create. */
function checkOwnership(
  cfg: BridgeLinkConfig,
  owner: string,
  all: LinkInfo[],
  rts: { dst: string; dev?: string }[],
) {
  const subnet = networkOf(cfg.gateway, cfg.prefixLen);
  const mine = parseCidr(subnet);
  const existing = all.find((l) => l.ifname === cfg.name);
  if (existing && (existing.linkinfo?.info_kind !== 'bridge' || existing.ifalias !== owner)) {
    throw new BridgeConflict(
      `cannot use bridge ${cfg.name}: an interface with this name already exists and was not created by ${owner} ` +
        `(another daemon's bridge?); choose another bridge name with ${cfg.nameOption ?? '--bridge'}`,
      'name',
    );
  }
  for (const l of all) {
    if (l.ifname === cfg.name) continue;
    for (const a of l.addr_info ?? []) {
      if (a.family !== 'inet' || !overlaps(mine, parseCidr(`${a.local}/${a.prefixlen}`))) continue;
      const whose =
        l.ifalias === owner ? 'the bridge of another network of this daemon' : `not created by ${owner}`;
      throw new BridgeConflict(
        `cannot use subnet ${subnet} for bridge ${cfg.name}: it overlaps ${a.local}/${a.prefixlen} on ${l.ifname}, ` +
          `which is ${whose}; choose another subnet with ${cfg.subnetOption ?? '--bip'}`,
        'subnet',
      );
    }
  }
  for (const r of rts) {
    if (r.dst === 'default' || r.dev === cfg.name || !/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(r.dst)) continue;
    if (!overlaps(mine, parseCidr(r.dst))) continue;
    throw new BridgeConflict(
      `cannot use subnet ${subnet} for bridge ${cfg.name}: it overlaps the route to ${r.dst}` +
        `${r.dev ? ` via ${r.dev}` : ''}; choose another subnet with ${cfg.subnetOption ?? '--bip'}`,
      'subnet',
    );
  }
  return existing;
}

/**
 * Makes sure the bridge exists as configured (idempotent): creates it when missing, else checks it
 * is ours and completes what is missing (address, MTU, up). Throws BridgeConflict otherwise.
 */
/** Throws BridgeConflict when the name or subnet is someone else's (no change made). */
export async function checkBridgeLink(cfg: BridgeLinkConfig, owner = DEFAULT_OWNER): Promise<void> {
  const [all, rts] = await Promise.all([links(), routes()]);
  checkOwnership(cfg, owner, all, rts);
}

export async function ensureBridgeLink(cfg: BridgeLinkConfig, owner = DEFAULT_OWNER): Promise<void> {
  const [all, rts] = await Promise.all([links(), routes()]);
  const existing = checkOwnership(cfg, owner, all, rts);
  const mtu = cfg.mtu ?? 1500;
  const addr = `${cfg.gateway}/${cfg.prefixLen}`;
  const lines: string[] = [];
  if (!existing) {
    lines.push(`link add name ${cfg.name} address ${randomMac()} mtu ${mtu} type bridge`);
    lines.push(`link set dev ${cfg.name} alias ${owner}`);
    lines.push(`addr add ${addr} brd + dev ${cfg.name}`);
  } else {
    // Our own bridge from an earlier run: make its IPv4 address the configured one (`--bip` may have changed).
    const inet = (existing.addr_info ?? [])
      .filter((a) => a.family === 'inet')
      .map((a) => `${a.local}/${a.prefixlen}`);
    for (const old of inet) if (old !== addr) lines.push(`addr del ${old} dev ${cfg.name}`);
    if (!inet.includes(addr)) lines.push(`addr add ${addr} brd + dev ${cfg.name}`);
    if (existing.mtu !== mtu) lines.push(`link set dev ${cfg.name} mtu ${mtu}`);
  }
  if (cfg.gateway6) {
    const have = (existing?.addr_info ?? []).some((a) => a.family === 'inet6' && a.local === cfg.gateway6);
    if (!have) lines.push(`addr add ${cfg.gateway6}/${cfg.prefixLen6 ?? 64} dev ${cfg.name} nodad`);
  }
  if (!existing?.flags?.includes('UP')) lines.push(`link set dev ${cfg.name} up`);
  await ipBatch(lines);
  // As dockerd: no IPv6 router advertisements on the bridge; route_localnet in hairpin mode.
  setInterfaceSysctl('ipv6', cfg.name, 'accept_ra', '0');
  if (cfg.routeLocalnet) setInterfaceSysctl('ipv4', cfg.name, 'route_localnet', '1');
}

/** Deletes the bridge if it exists and is ours; someone else's is left alone (returns false). */
export async function deleteBridgeLink(name: string, owner = DEFAULT_OWNER): Promise<boolean> {
  const link = (await links()).find((l) => l.ifname === name);
  if (!link || link.ifalias !== owner) return false;
  try {
    await ipBatch([`link del dev ${name}`]);
  } catch (err) {
    if (!isNoSuchDevice(err)) throw err;
  }
  return true;
}

/** After a restart: deletes the bridges marked as `owner`'s that are not in `keep`; returns their names. */
export async function sweepBridgeLinks(keep: Iterable<string>, owner = DEFAULT_OWNER): Promise<string[]> {
  const wanted = new Set(keep);
  const stale = (await links())
    .filter((l) => l.ifalias === owner && l.linkinfo?.info_kind === 'bridge' && !wanted.has(l.ifname))
    .map((l) => l.ifname);
  for (const name of stale) await deleteBridgeLink(name, owner);
  return stale;
}
