// A container's networking state as dockerd records it: one endpoint per network (its requested
// aliases and IPs from create or connect, its addresses while it runs) and the published ports.
import type { ContainerNetworkState, ContainerRecord, EndpointSettings } from '../backend/types.js';
import { parseNetworkMode } from './mode.js';

/** An endpoint with nothing assigned yet: what a created container shows until it starts. */
/** What a run gives an endpoint, cleared (dockerd's cleanOperationalData). */
export function clearOperationalData(ep: EndpointSettings): EndpointSettings {
  return Object.assign(ep, {
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    MacAddress: '',
  });
}

export function emptyEndpoint(requested: EndpointSettings | null | undefined): EndpointSettings {
  const ep: EndpointSettings = {
    IPAMConfig: requested?.IPAMConfig ?? null,
    Links: requested?.Links ?? null,
    Aliases: requested?.Aliases ?? null,
    NetworkID: '',
  };
  clearOperationalData(ep);
  ep.DriverOpts = requested?.DriverOpts ?? null;
  return ep;
}

/** The network a NetworkMode names, as the Networks map keys it (`default` is `bridge`). */
export function primaryNetwork(rec: ContainerRecord): string | undefined {
  const m = parseNetworkMode(rec.HostConfig.NetworkMode);
  if (m.kind === 'host') return 'host';
  if (m.kind === 'container') return undefined;
  return m.network;
}

/** At create: the endpoints the create body asked for (the CLI keys its NetworkMode's as `default`). */
export function initialNetworkState(rec: ContainerRecord): ContainerNetworkState {
  const networks: Record<string, EndpointSettings> = {};
  const primary = primaryNetwork(rec);
  const asked = rec.NetworkingConfig?.EndpointsConfig ?? {};
  if (primary) {
    const mode = rec.HostConfig.NetworkMode || 'default';
    networks[primary] = emptyEndpoint(asked[primary] ?? asked[mode] ?? asked.default);
  }
  return { SandboxKey: '', SandboxID: '', Ports: {}, Networks: networks };
}

/** The record's state, made for records written before it existed. */
export function networkState(rec: ContainerRecord): ContainerNetworkState {
  rec.NetworkSettings ??= initialNetworkState(rec);
  return rec.NetworkSettings;
}
