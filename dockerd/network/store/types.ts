// The shapes of the network store: what clients send to `POST /networks/create`, what the store keeps
// (everything `GET /networks/{id}` shows, in its field order, plus the daemon's own fields), and what an
// endpoint gets from IPAM.
import type { SubnetState } from '../ipam/addresses.js';

/** One `IPAM.Config` entry, as the API names its fields (and the order dockerd prints them in). */
export interface IpamConfigEntry {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface IpamSettings {
  Driver: string;
  /** Echoed as sent: `{}` from the CLI, `null` when the client sent none (compose). */
  Options: Record<string, string> | null;
  Config: IpamConfigEntry[];
}

/** The body of `POST /networks/create` (API 1.41), after type checks. */
export interface NetworkCreateRequest {
  Name: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Scope?: string;
  EnableIPv6?: boolean;
  IPAM?: {
    Driver?: string;
    Options?: Record<string, string> | null;
    Config?: IpamConfigEntry[] | null;
  } | null;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network: string } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** The addresses one endpoint (one container on one network) holds. */
export interface EndpointAllocation {
  /** IPv4 address without prefix. */
  ipv4?: string;
  /** IPv6 address without prefix. */
  ipv6?: string;
}

/**
 * A network as the store keeps it and persists it (one JSON file per network). The first fields are
 * `GET /networks/{id}`'s, in its order (`Containers` is not kept: the daemon knows its endpoints); the
 * lower-case ones are the daemon's own.
 */
export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: IpamSettings;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** The Linux bridge: `br-<id12>`, `com.docker.network.bridge.name`, `docker0`; '' for host and null. */
  bridgeName: string;
  /** The IPv4 plan (bridge networks). */
  ipv4?: SubnetState;
  /** The IPv6 plan (bridge networks with EnableIPv6 and a subnet). */
  ipv6?: SubnetState;
  /** Addresses held, by endpoint key (the caller's choice, normally the container id). */
  endpoints: Record<string, EndpointAllocation>;
}

/** What an endpoint got, with `NetworkSettings.Networks[n]`'s field names. */
export interface EndpointAddresses {
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  IPv6Gateway: string;
  /** `02:42:` + the IPv4 address's bytes ('' without IPv4). */
  MacAddress: string;
}

/** One entry of `GET /networks/{id}`'s `Containers` (the daemon fills it from its endpoints). */
export interface NetworkContainerView {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** `GET /networks/{id}`, field for field. */
export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  IPAM: IpamSettings;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, NetworkContainerView>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** Names dockerd treats as its own networks: never created, never removed by clients. */
export const PREDEFINED_NETWORK_NAMES: readonly string[] = ['bridge', 'host', 'none', 'default', 'ingress'];

export function isPredefinedName(name: string): boolean {
  return PREDEFINED_NETWORK_NAMES.includes(name);
}
