/**
 * The network store and IPAM of tsctr-dockerd (no HTTP; the routes and the controller call it).
 *
 * Open once at start: `const store = await NetworkStore.open({ dir, defaultAddressPools, hostRoutes?, log? })`
 * (one `<id>.json` per network in `dir`, written through temp file + fsync + rename), then
 * `await store.ensureBuiltins()` (none, host) and `await store.ensureDefaultBridge(spec | null)` with
 * `spec = defaultBridgeSpec({ bridge, bip?, fixedCidr?, icc, ip, mtu?, masquerade? })` (or by hand:
 * `{ bridgeName, subnet?, gateway?, ipRange?, options }`; null for `--bridge=none`).
 *
 * Networks (`NetworkRecord`: the fields of `GET /networks/{id}` in its order, minus `Containers`, plus
 * `bridgeName`, `ipv4`/`ipv6` plans and `endpoints` = key → {ipv4?, ipv6?}):
 * - `parseCreateRequest(body)` → `NetworkCreateRequest` (Go's JSON decoding rules and texts).
 * - `store.create(req)` → `{ record, warning }` — Docker's checks and texts: predefined name (403),
 *   CheckDuplicate (409 `network with name n1 already exists`), `Invalid subnet …`, host/null
 *   (`only one instance of "host" network is allowed`), other drivers and IPAM drivers (400),
 *   pool overlap (403 `Pool overlaps with other one on this address space`), gateway/aux/range errors,
 *   multiple subnets, bridge options, same bridge name. Bridge `br-<id12>` or
 *   `com.docker.network.bridge.name`. Emitting the `create` event is the caller's job.
 * - `store.get(id)`, `store.find(term)` (full id, name, unique id prefix; `network X not found`),
 *   `store.all()` (none, host, bridge, then oldest first), `store.list(filters, hasEndpoints?)`.
 * - `store.remove(term, hasEndpoints?)` (403 for built-ins and for networks with endpoints),
 *   `store.prune(filters, hasEndpoints?)` → removed records. `hasEndpoints` defaults to "holds addresses".
 * - `networkInspect(record, containers?)` → the exact JSON of `GET /networks/{id}` (`{}` for lists);
 *   `networkContainerView(record, key, name, endpointId)` → one `Containers` entry.
 *
 * Endpoints (addresses persist with the network, so a restart hands nothing out twice):
 * - `store.allocate(term, key, { ipv4?, ipv6? })` → `EndpointAddresses` (IPAddress, IPPrefixLen, Gateway,
 *   GlobalIPv6Address, GlobalIPv6PrefixLen, IPv6Gateway, MacAddress `02:42:<ip>`); idempotent per key;
 *   Docker's refusals (`Address already in use`, `Invalid address X: It does not belong to any of this
 *   network's subnets`, `user specified IP address is supported on user defined networks only`, …).
 * - `store.addresses(term, key)`, `store.release(term, key)`, `store.sweepEndpoints(keep)`.
 *
 * Also: `filterNetworks`/`prunableNetworks` (pure), `bridgeSettings(options)` (the bridge driver's
 * reading of `Options`), `addressWithPrefix(address, subnet)` for `Containers` entries.
 */
export { NetworkStore, type NetworkStoreOptions, type HasEndpoints } from './store.js';
export { parseCreateRequest } from './request.js';
export { networkInspect, networkContainerView, addressWithPrefix } from './inspect.js';
export {
  filterNetworks,
  prunableNetworks,
  parseGoDuration,
  NETWORK_LIST_FILTERS,
  NETWORK_PRUNE_FILTERS,
} from './filters.js';
export {
  bridgeSettings,
  defaultBridgeOptions,
  validBridgeName,
  type BridgeSettings,
} from './bridge-options.js';
export * as bridgeOptionKeys from './bridge-options.js';
export { defaultBridgeSpec, type DefaultBridgeSpec } from './builtin.js';
export type { CreatedNetwork } from './create.js';
export type { AddressRequest } from './endpoint-addresses.js';
export {
  isPredefinedName,
  PREDEFINED_NETWORK_NAMES,
  type NetworkRecord,
  type NetworkCreateRequest,
  type NetworkInspect,
  type NetworkContainerView,
  type EndpointAddresses,
  type EndpointAllocation,
  type IpamConfigEntry,
  type IpamSettings,
} from './types.js';
