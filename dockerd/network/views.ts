// A container's networking in the shapes `docker inspect` and `docker ps` show (reference §3.5):
// top-level addresses only for the default bridge, the Networks map, Ports with exposed-only ports.
import type { ContainerRecord, EndpointSettings, PortBinding } from '../backend/types.js';
import { networkState } from './state.js';

function ports(rec: ContainerRecord): Record<string, PortBinding[] | null> {
  const out: Record<string, PortBinding[] | null> = {};
  if (!rec.State.Running) return out;
  for (const p of Object.keys(rec.Config.ExposedPorts ?? {})) out[p] = null;
  return { ...out, ...networkState(rec).Ports };
}

export function inspectNetworkSettings(rec: ContainerRecord): Record<string, unknown> {
  const st = networkState(rec);
  const bridge: EndpointSettings | undefined = st.Networks.bridge;
  return {
    Bridge: '',
    SandboxID: st.SandboxID,
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: ports(rec),
    SandboxKey: st.SandboxKey,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: bridge?.EndpointID ?? '',
    Gateway: bridge?.Gateway ?? '',
    GlobalIPv6Address: bridge?.GlobalIPv6Address ?? '',
    GlobalIPv6PrefixLen: bridge?.GlobalIPv6PrefixLen ?? 0,
    IPAddress: bridge?.IPAddress ?? '',
    IPPrefixLen: bridge?.IPPrefixLen ?? 0,
    IPv6Gateway: bridge?.IPv6Gateway ?? '',
    MacAddress: bridge?.MacAddress ?? '',
    Networks: st.Networks,
  };
}

/** `GET /containers/json`'s Ports: published ones, then exposed-only ones without a public side. */
export function listPorts(rec: ContainerRecord): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const [key, bindings] of Object.entries(ports(rec))) {
    const [port, type = 'tcp'] = key.split('/');
    if (!bindings || bindings.length === 0) {
      out.push({ PrivatePort: Number(port), Type: type });
      continue;
    }
    for (const b of bindings)
      out.push({ IP: b.HostIp ?? '', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}

/** The list's Networks: the same endpoints, with Aliases left out as dockerd's list does. */
export function listNetworks(rec: ContainerRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, ep] of Object.entries(networkState(rec).Networks)) out[name] = { ...ep, Aliases: null };
  return out;
}
