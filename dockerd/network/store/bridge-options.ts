// The bridge driver's options (`-o key=value`, the network's `Options`): read and checked as
// libnetwork's bridge driver does (same keys, Go's parse texts), for the driver that builds the bridge.
// The network keeps `Options` exactly as the client sent them; these are only their meaning.
import { InvalidParameter } from '../../errdefs/index.js';
import { parseIP } from '../ipam/ip.js';

export const BRIDGE_NAME = 'com.docker.network.bridge.name';
export const ENABLE_IP_MASQUERADE = 'com.docker.network.bridge.enable_ip_masquerade';
export const ENABLE_ICC = 'com.docker.network.bridge.enable_icc';
export const INHIBIT_IPV4 = 'com.docker.network.bridge.inhibit_ipv4';
export const HOST_BINDING_IPV4 = 'com.docker.network.bridge.host_binding_ipv4';
export const DEFAULT_BRIDGE = 'com.docker.network.bridge.default_bridge';
export const DRIVER_MTU = 'com.docker.network.driver.mtu';
export const ENABLE_IPV6 = 'com.docker.network.enable_ipv6';
export const CONTAINER_IFACE_PREFIX = 'com.docker.network.container_iface_prefix';
export const HOST_IPV4 = 'com.docker.network.host_ipv4';

export interface BridgeSettings {
  /** From `com.docker.network.bridge.name`; absent means `br-<id12>`. */
  bridgeName?: string;
  /** 0 means the default (1500). */
  mtu: number;
  enableIPv6: boolean;
  masquerade: boolean;
  icc: boolean;
  inhibitIPv4: boolean;
  defaultBridge: boolean;
  /** Default host address of published ports on this network. */
  hostBindingIPv4?: string;
  /** Prefix of the interface names inside containers (`eth` when absent). */
  containerIfacePrefix?: string;
  /** Source address for the network's masquerade (SNAT instead of MASQUERADE). */
  hostIPv4?: string;
}

function parseErr(label: string, value: string, why: string): InvalidParameter {
  return new InvalidParameter(`failed to parse ${label} value: ${value} (${why})`);
}

function goBool(label: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw parseErr(label, value, `strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
}

function goAtoi(label: string, value: string): number {
  if (!/^[+-]?\d+$/.test(value))
    throw parseErr(label, value, `strconv.Atoi: parsing ${JSON.stringify(value)}: invalid syntax`);
  const n = Number(value);
  if (!Number.isSafeInteger(n))
    throw parseErr(label, value, `strconv.Atoi: parsing ${JSON.stringify(value)}: value out of range`);
  return n;
}

function address(label: string, value: string): string {
  if (!parseIP(value)) throw parseErr(label, value, 'nil ip');
  return value;
}

/** A Linux interface name: 1–15 bytes, no '/', ':' or white space. */
export function validBridgeName(name: string): boolean {
  return /^[^/:\s]{1,15}$/.test(name) && name !== '.' && name !== '..';
}

/** The meaning of a bridge network's options. Throws InvalidParameter with libnetwork's texts. */
export function bridgeSettings(options: Readonly<Record<string, string>>): BridgeSettings {
  const s: BridgeSettings = {
    mtu: 0,
    enableIPv6: false,
    masquerade: true,
    icc: true,
    inhibitIPv4: false,
    defaultBridge: false,
  };
  for (const [label, value] of Object.entries(options)) {
    switch (label) {
      case BRIDGE_NAME:
        if (!validBridgeName(value))
          throw new InvalidParameter(
            `invalid bridge name "${value}" in ${BRIDGE_NAME}: want 1 to 15 characters, without '/', ':' or spaces`,
          );
        s.bridgeName = value;
        break;
      case DRIVER_MTU:
        s.mtu = goAtoi(label, value);
        if (s.mtu < 0) throw new InvalidParameter(`invalid MTU number: ${s.mtu}`);
        break;
      case ENABLE_IPV6:
        s.enableIPv6 = goBool(label, value);
        break;
      case ENABLE_IP_MASQUERADE:
        s.masquerade = goBool(label, value);
        break;
      case ENABLE_ICC:
        s.icc = goBool(label, value);
        break;
      case INHIBIT_IPV4:
        s.inhibitIPv4 = goBool(label, value);
        break;
      case DEFAULT_BRIDGE:
        s.defaultBridge = goBool(label, value);
        break;
      case HOST_BINDING_IPV4:
        s.hostBindingIPv4 = address(label, value);
        break;
      case CONTAINER_IFACE_PREFIX:
        s.containerIfacePrefix = value;
        break;
      case HOST_IPV4:
        s.hostIPv4 = address(label, value);
        break;
    }
  }
  return s;
}

/** The default bridge's `Options`, as dockerd shows them for `bridge` (keys in its order). */
export function defaultBridgeOptions(o: {
  bridgeName: string;
  icc: boolean;
  masquerade?: boolean;
  hostBindingIPv4: string;
  mtu?: number;
}): Record<string, string> {
  return {
    [DEFAULT_BRIDGE]: 'true',
    [ENABLE_ICC]: String(o.icc),
    [ENABLE_IP_MASQUERADE]: String(o.masquerade ?? true),
    [HOST_BINDING_IPV4]: o.hostBindingIPv4,
    [BRIDGE_NAME]: o.bridgeName,
    [DRIVER_MTU]: String(o.mtu ?? 1500),
  };
}
