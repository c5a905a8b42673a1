// Docker's bridge networking on the host side, with iproute2 in batches. Public API:
//
//   new BridgeDriver({ firewall, owner?, log? })   implements NetworkDriver (name 'bridge')
//     .createNetwork(BridgeNetwork)  ensure the device (name, gateway/prefix, MTU, up, random 02:42 MAC,
//                                    accept_ra=0, route_localnet=1 in hairpin mode) + firewall.ensureBridge;
//                                    refuses with BridgeConflict (errdefs Conflict) naming --bridge/--bip
//                                    (or the options given) if the name or subnet is someone else's
//     .deleteNetwork(BridgeNetwork)  firewall.removeBridge + delete the device (only if ours)
//     .join(Endpoint)                veth<7 hex> on the bridge (hairpin on in hairpin mode), peer created
//                                    in ep.sandboxPath as ep.ifname (default next free ethN, written back
//                                    to ep.ifname), MAC 02:42:<ip>, address, default route if
//                                    ep.isDefaultRoute, up
//     .leave(Endpoint)               delete the host veth (already gone is fine)
//     .sweep(bridge, live)           delete veths on the bridge that belong to no live endpoint
//     .sweepNetworks(keepBridgeNames) delete our bridges (alias = ownerMark) no network uses any more
//     .rulesOf(BridgeNetwork)        the firewall's BridgeRules for a network
//   vethName(containerId, network)   the host-side name (deterministic, so known after a restart)
//   ensureBridgeLink / deleteBridgeLink / createEndpointLink / removeEndpointLink: the pieces.
//   macFromIp, networkOf, parseCidr, overlaps: IPv4 helpers.
//
// Bridges we create carry the interface alias `owner` (`ip link` shows `alias tsctr-dockerd`, or
// `tsctr-dockerd:<prefix>` under another chain prefix); that is how a restarted daemon knows a
// bridge is its own and another daemon's is not.
export { BridgeDriver, type BridgeNetwork, type BridgeDriverOptions } from './driver.js';
export {
  BridgeConflict,
  DEFAULT_OWNER,
  ensureBridgeLink,
  deleteBridgeLink,
  type BridgeLinkConfig,
} from './link.js';
export {
  type EndpointLinkConfig,
  createEndpointLink,
  removeEndpointLink,
  sweepEndpointLinks,
  bridgePorts,
  nextIfname,
  vethName,
} from './endpoint.js';
export { macFromIp, networkOf, parseCidr, overlaps, ipToInt, intToIp } from './cidr.js';
