// One container joining or leaving one network while its sandbox exists: an address from IPAM, the
// bridge driver's veth in the sandbox, the DNS name table, and the endpoint fields inspect shows.
import { randomBytes } from 'node:crypto';
import { InvalidParameter } from '../errdefs/index.js';
import type { ContainerRecord, EndpointIPAMConfig, EndpointSettings } from '../backend/types.js';
import type { Networking } from './networking.js';
import { clearOperationalData } from './state.js';
import type { NetworkRecord } from './store/index.js';

/** Inspect's Aliases on a user network: the user's, then the short ID, then a hostname that is not the name. */
export function endpointAliases(rec: ContainerRecord, asked: readonly string[] | null | undefined): string[] {
  const out = [...(asked ?? [])];
  const add = (a: string) => {
    if (a && !out.includes(a)) out.push(a);
  };
  add(rec.Id.slice(0, 12));
  if (rec.Config.Hostname && rec.Config.Hostname !== rec.Name.slice(1)) add(rec.Config.Hostname);
  return out;
}

export interface JoinOptions {
  sandboxPath: string;
  /** The first network with a gateway gives the default route. */
  defaultRoute: boolean;
}

/** Joins `net`; fills `ep` (addresses, ids, aliases). Undoes what it did when a step fails. */
export async function joinNetwork(
  n: Networking,
  rec: ContainerRecord,
  net: Readonly<NetworkRecord>,
  ep: EndpointSettings,
  o: JoinOptions,
): Promise<void> {
  const bridge = n.bridgeOf(net);
  if (!bridge) {
    // `none`: the sandbox is all there is; the endpoint is named all the same, as dockerd names it.
    Object.assign(ep, { NetworkID: net.Id, EndpointID: randomBytes(32).toString('hex') });
    return;
  }
  const user = !n.isDefaultBridge(net);
  const want = (ep.IPAMConfig ?? {}) as EndpointIPAMConfig;
  if (!user && (want.IPv4Address || want.IPv6Address))
    throw new InvalidParameter('user specified IP address is supported on user defined networks only');
  const a = await n.store.allocate(net.Id, rec.Id, {
    ...(want.IPv4Address ? { ipv4: want.IPv4Address } : {}),
    ...(want.IPv6Address ? { ipv6: want.IPv6Address } : {}),
  });
  try {
    await n.driver.join({
      containerId: rec.Id,
      network: net.Id,
      sandboxPath: o.sandboxPath,
      ip: a.IPAddress,
      prefixLen: a.IPPrefixLen,
      mac: a.MacAddress,
      gateway: a.Gateway,
      bridge: bridge.bridge,
      isDefaultRoute: o.defaultRoute && !net.Internal,
      ...(a.GlobalIPv6Address
        ? { ip6: a.GlobalIPv6Address, prefixLen6: a.GlobalIPv6PrefixLen, gateway6: a.IPv6Gateway }
        : {}),
      ...(bridge.mtu ? { mtu: bridge.mtu } : {}),
    });
  } catch (err) {
    await n.store.release(net.Id, rec.Id).catch(() => undefined);
    throw err;
  }
  Object.assign(ep, {
    NetworkID: net.Id,
    EndpointID: randomBytes(32).toString('hex'),
    Gateway: a.Gateway,
    IPAddress: a.IPAddress,
    IPPrefixLen: a.IPPrefixLen,
    IPv6Gateway: a.IPv6Gateway,
    GlobalIPv6Address: a.GlobalIPv6Address,
    GlobalIPv6PrefixLen: a.GlobalIPv6PrefixLen,
    MacAddress: a.MacAddress,
  });
  if (user) {
    ep.Aliases = endpointAliases(rec, ep.Aliases);
    n.names.setEndpoint({
      containerId: rec.Id,
      containerName: rec.Name.slice(1),
      networkId: net.Id,
      ipv4: a.IPAddress || undefined,
      ipv6: a.GlobalIPv6Address || undefined,
      aliases: ep.Aliases,
      links: (ep.Links ?? []).map((l) => {
        const [target, alias] = l.split(':');
        return { target: target.replace(/^\//, ''), alias: alias ?? target.replace(/^\//, '') };
      }),
    });
  }
}

/** Leaves `net`: the veth, the address, the name; the endpoint keeps only what was asked for. */
export async function leaveNetwork(
  n: Networking,
  rec: ContainerRecord,
  net: Readonly<NetworkRecord> | undefined,
  ep: EndpointSettings,
  sandboxPath: string,
): Promise<void> {
  const networkId = net?.Id ?? ep.NetworkID ?? '';
  if (net && n.bridgeOf(net)) {
    await n.driver.leave({ containerId: rec.Id, network: net.Id, sandboxPath });
    await n.store.release(net.Id, rec.Id);
  }
  if (networkId) n.names.deleteEndpoint(rec.Id, networkId);
  // As dockerd: the network stays named, what the run held goes.
  clearOperationalData(ep);
}
