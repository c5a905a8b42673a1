// One container's interface on one bridge: a veth pair whose host side (`veth<7 hex>`) is enslaved
// to the bridge and whose other side is created directly inside the container's pinned network
// namespace under its final name (`eth0`, `eth1`, …) with Docker's MAC, then given its address and,
// on the container's first network, the default route. Two `ip -batch` processes per endpoint.
import { createHash } from 'node:crypto';
import { macFromIp } from './cidr.js';
import { ipBatch, isNoSuchDevice, links } from './ip.js';

export interface EndpointLinkConfig {
  /** The container's pinned netns file (from `createNetns`). */
  sandboxPath: string;
  bridge: string;
  /** Host side, `veth<7 hex>`; see `vethName`. */
  hostIfname: string;
  /** Inside the container: `eth0`, `eth1`, … */
  ifname: string;
  ip: string;
  prefixLen: number;
  /** Default `02:42:<ip bytes>`. */
  mac?: string;
  gateway?: string;
  /** Add `default via <gateway>` (the container's first network, unless internal). */
  isDefaultRoute?: boolean;
  mtu?: number;
  /** Hairpin on the bridge port (dockerd sets it when the userland proxy is off). */
  hairpin?: boolean;
  /** IPv6 address, prefix length and gateway (IPv6-enabled networks). */
  ip6?: string;
  prefixLen6?: number;
  gateway6?: string;
}

/**
 * The host-side name for a container's endpoint on a network: `veth` + 7 hex, derived from both so
 * that it is known again after a daemon restart (dockerd's are random; these look the same).
 */
export function vethName(containerId: string, network: string): string {
  return `veth${createHash('sha256').update(`${containerId}\0${network}`).digest('hex').slice(0, 7)}`;
}

export async function createEndpointLink(cfg: EndpointLinkConfig): Promise<void> {
  const mtu = cfg.mtu ?? 1500;
  const mac = cfg.mac ?? macFromIp(cfg.ip);
  const host = [
    `link add name ${cfg.hostIfname} mtu ${mtu} type veth peer name ${cfg.ifname} mtu ${mtu} address ${mac} netns ${cfg.sandboxPath}`,
    `link set dev ${cfg.hostIfname} master ${cfg.bridge}`,
    ...(cfg.hairpin ? [`link set dev ${cfg.hostIfname} type bridge_slave hairpin on`] : []),
    `link set dev ${cfg.hostIfname} up`,
  ];
  try {
    await ipBatch(host);
  } catch (err) {
    if (!/File exists/.test(String(err))) throw err;
    // A stale host side left by a crash: ours by construction of the name. Replace it once.
    await removeEndpointLink(cfg.hostIfname);
    await ipBatch(host);
  }
  const inside = [
    `addr add ${cfg.ip}/${cfg.prefixLen} brd + dev ${cfg.ifname}`,
    `link set dev ${cfg.ifname} up`,
    ...(cfg.isDefaultRoute && cfg.gateway ? [`route add default via ${cfg.gateway} dev ${cfg.ifname}`] : []),
    ...(cfg.ip6 ? [`addr add ${cfg.ip6}/${cfg.prefixLen6 ?? 64} dev ${cfg.ifname} nodad`] : []),
    ...(cfg.ip6 && cfg.isDefaultRoute && cfg.gateway6
      ? [`route add default via ${cfg.gateway6} dev ${cfg.ifname}`]
      : []),
  ];
  try {
    await ipBatch(inside, cfg.sandboxPath);
  } catch (err) {
    await removeEndpointLink(cfg.hostIfname).catch(() => {});
    throw err;
  }
}

/** Deletes the host side (the kernel deletes its peer); already gone is fine. */
export async function removeEndpointLink(hostIfname: string): Promise<void> {
  try {
    await ipBatch([`link del dev ${hostIfname}`]);
  } catch (err) {
    if (!isNoSuchDevice(err)) throw err;
  }
}

/** The veths enslaved to `bridge`. */
export async function bridgePorts(bridge: string): Promise<string[]> {
  return (await links())
    .filter((l) => l.master === bridge && l.linkinfo?.info_kind === 'veth')
    .map((l) => l.ifname);
}

/** After a restart: deletes the veths on `bridge` that belong to no live endpoint. */
export async function sweepEndpointLinks(bridge: string, keep: Iterable<string>): Promise<string[]> {
  const wanted = new Set(keep);
  const stale = (await bridgePorts(bridge)).filter((n) => !wanted.has(n));
  for (const n of stale) await removeEndpointLink(n);
  return stale;
}

/** The next free interface name inside a sandbox: `eth0`, then `eth1`, … */
export async function nextIfname(sandboxPath: string): Promise<string> {
  const names = new Set((await links(sandboxPath)).map((l) => l.ifname));
  let i = 0;
  while (names.has(`eth${i}`)) i++;
  return `eth${i}`;
}
