// A network as `GET /networks/{id}` returns it (and `GET /networks`, where `Containers` is always {}):
// dockerd's field order, IPAM/Options/Labels exactly as the client gave them (map keys sorted, as Go
// writes maps).
import { macFromIPv4 } from '../ipam/ip.js';
import type { NetworkContainerView, NetworkInspect, NetworkRecord } from './types.js';

/** A copy with the keys sorted, as Go's encoding/json writes every map (dockerd's output order). */
function copyMap<T>(m: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(m).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))))
    out[k] = m[k];
  return out;
}

export function networkInspect(
  n: Readonly<NetworkRecord>,
  containers: Readonly<Record<string, NetworkContainerView>> = {},
): NetworkInspect {
  return {
    Name: n.Name,
    Id: n.Id,
    Created: n.Created,
    Scope: n.Scope,
    Driver: n.Driver,
    EnableIPv6: n.EnableIPv6,
    IPAM: {
      Driver: n.IPAM.Driver,
      Options: n.IPAM.Options === null ? null : copyMap(n.IPAM.Options),
      Config: n.IPAM.Config.map((c) => {
        const out: NetworkInspect['IPAM']['Config'][number] = {};
        if (c.Subnet !== undefined) out.Subnet = c.Subnet;
        if (c.IPRange !== undefined) out.IPRange = c.IPRange;
        if (c.Gateway !== undefined) out.Gateway = c.Gateway;
        if (c.AuxiliaryAddresses !== undefined) out.AuxiliaryAddresses = copyMap(c.AuxiliaryAddresses);
        return out;
      }),
    },
    Internal: n.Internal,
    Attachable: n.Attachable,
    Ingress: n.Ingress,
    ConfigFrom: { Network: n.ConfigFrom.Network },
    ConfigOnly: n.ConfigOnly,
    Containers: copyMap(containers),
    Options: copyMap(n.Options),
    Labels: copyMap(n.Labels),
  };
}

/** `Containers` entry addresses: `172.18.0.2/16`, '' when the endpoint has no such address. */
export function addressWithPrefix(address: string | undefined, subnet: string | undefined): string {
  if (!address || !subnet) return '';
  return `${address}/${subnet.slice(subnet.indexOf('/') + 1)}`;
}

/**
 * The `Containers` entry of endpoint `key` (which must hold addresses on `n`), for a container named
 * `name` (without its leading slash) whose endpoint id is `endpointId`.
 */
export function networkContainerView(
  n: Readonly<NetworkRecord>,
  key: string,
  name: string,
  endpointId: string,
): NetworkContainerView {
  const a = n.endpoints[key] ?? {};
  return {
    Name: name,
    EndpointID: endpointId,
    MacAddress: a.ipv4 ? macFromIPv4(a.ipv4) : '',
    IPv4Address: addressWithPrefix(a.ipv4, n.ipv4?.subnet),
    IPv6Address: addressWithPrefix(a.ipv6, n.ipv6?.subnet),
  };
}
