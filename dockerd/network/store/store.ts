// The network store: every network (built-in and user-defined) with its address plan and its
// endpoints' addresses, in memory and persisted one file per network. Reads are synchronous; changes are
// serialized (one at a time, in call order) and on disk before the promise resolves.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Forbidden } from '../../errdefs/index.js';
import { parseRFC3339 } from '../../logs/format.js';
import type { Filters } from '../../wire/filters.js';
import { parseCidr, type Cidr } from '../ipam/cidr.js';
import { PoolPicker, type AddressPool } from '../ipam/pools.js';
import { readHostRoutes, routeSubnets, type HostRoute } from '../ipam/routes.js';
import { defaultBridgeNetwork, hostNetwork, nullNetwork, type DefaultBridgeSpec } from './builtin.js';
import { buildNetwork, type CreatedNetwork } from './create.js';
import { chooseAddresses, endpointAddresses, type AddressRequest } from './endpoint-addresses.js';
import { RecordFiles } from './files.js';
import { filterNetworks, prunableNetworks } from './filters.js';
import type { TakenSubnet } from './ipam-plan.js';
import { findNetwork } from './lookup.js';
import {
  isPredefinedName,
  type EndpointAddresses,
  type NetworkCreateRequest,
  type NetworkRecord,
} from './types.js';

export interface NetworkStoreOptions {
  /** Directory of the network files (created if missing). */
  dir: string;
  /** The daemon's `default-address-pools` (Docker's pools when absent or empty). */
  defaultAddressPools?: readonly AddressPool[] | null;
  /** The host's routes, asked each time a default pool is picked (default: read from /proc/net). */
  hostRoutes?: () => readonly HostRoute[];
  log?: Logger;
}

/** Which networks have endpoints (for `dangling`, prune and remove); default: those holding addresses. */
export type HasEndpoints = (n: Readonly<NetworkRecord>) => boolean;

const holdsAddresses: HasEndpoints = (n) => Object.keys(n.endpoints).length > 0;
const BUILTIN_ORDER = ['none', 'host', 'bridge'];

export class NetworkStore {
  private readonly nets = new Map<string, NetworkRecord>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly picker: PoolPicker;

  private constructor(
    private readonly files: RecordFiles,
    private readonly opts: NetworkStoreOptions,
  ) {
    this.picker = new PoolPicker(opts.defaultAddressPools);
  }

  /** Opens the store and loads every network file (unreadable ones are logged and left alone). */
  static async open(opts: NetworkStoreOptions): Promise<NetworkStore> {
    const store = new NetworkStore(new RecordFiles(opts.dir), opts);
    const { records, skipped } = await store.files.loadAll();
    for (const r of records) store.nets.set(r.Id, r);
    for (const s of skipped)
      opts.log?.warn({ file: s.file, reason: s.reason }, 'skipping unreadable network file');
    return store;
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async put(rec: NetworkRecord): Promise<NetworkRecord> {
    await this.files.write(rec);
    this.nets.set(rec.Id, rec);
    return rec;
  }

  private routes(exceptIfaces: readonly string[] = []): Cidr[] {
    return routeSubnets((this.opts.hostRoutes ?? readHostRoutes)(), exceptIfaces);
  }

  private taken(except?: string): TakenSubnet[] {
    const out: TakenSubnet[] = [];
    for (const n of this.nets.values()) {
      if (n.Id === except) continue;
      for (const s of [n.ipv4, n.ipv6]) {
        const cidr = s ? parseCidr(s.subnet) : null;
        if (s && cidr) out.push({ cidr, ipRange: s.ipRange, networkId: n.Id, bridgeName: n.bridgeName });
      }
    }
    return out;
  }

  /** 64 hex, unique, never one whose short form reads as a number (as Docker's stringid). */
  private newId(): string {
    for (;;) {
      const id = randomBytes(32).toString('hex');
      if (!/^\d+$/.test(id.slice(0, 12)) && !this.nets.has(id)) return id;
    }
  }

  /** Every network: none, host, bridge first, then the others oldest first. */
  all(): Readonly<NetworkRecord>[] {
    const rank = (n: NetworkRecord) => {
      const i = BUILTIN_ORDER.indexOf(n.Name);
      return i < 0 ? BUILTIN_ORDER.length : i;
    };
    const created = (n: NetworkRecord) => parseRFC3339(n.Created);
    return [...this.nets.values()].sort((a, b) => rank(a) - rank(b) || Number(created(a) - created(b)));
  }

  /** By full id, undefined when absent. */
  get(id: string): Readonly<NetworkRecord> | undefined {
    return this.nets.get(id);
  }

  /** By full id, exact name or unique id prefix; NotFound `network X not found`, or ambiguous. */
  find(term: string): Readonly<NetworkRecord> {
    return findNetwork(this.nets.values(), term);
  }

  /** `GET /networks` filtering (keys: dangling, driver, id, label, name, scope, type). */
  list(filters: Filters = new Map(), hasEndpoints: HasEndpoints = holdsAddresses): Readonly<NetworkRecord>[] {
    return filterNetworks(this.all(), filters, hasEndpoints);
  }

  /** Creates `none` and `host` when missing (their ids are kept across restarts). */
  ensureBuiltins(): Promise<void> {
    return this.serialized(async () => {
      const names = new Set([...this.nets.values()].map((n) => n.Name));
      if (!names.has('none')) await this.put(nullNetwork(this.newId()));
      if (!names.has('host')) await this.put(hostNetwork(this.newId()));
    });
  }

  /**
   * Makes the `bridge` network match the daemon's options (null: `--bridge=none`, no default bridge).
   * Its id and endpoints are kept when its subnet, gateway, range and bridge are unchanged.
   */
  ensureDefaultBridge(spec: DefaultBridgeSpec | null): Promise<Readonly<NetworkRecord> | null> {
    return this.serialized(async () => {
      const current = [...this.nets.values()].find((n) => n.Name === 'bridge');
      if (!spec) {
        if (current) await this.drop(current.Id);
        return null;
      }
      const rec = defaultBridgeNetwork(spec, {
        current,
        taken: this.taken(current?.Id).map((t) => ({
          cidr: t.cidr,
          name: this.nets.get(t.networkId)?.Name ?? '',
        })),
        picker: this.picker,
        hostRoutes: () => this.routes([spec.bridgeName]),
        newId: () => this.newId(),
      });
      if (current && current.Id !== rec.Id) await this.drop(current.Id);
      return this.put(rec);
    });
  }

  /** `POST /networks/create` for a checked request (see parseCreateRequest). */
  create(req: NetworkCreateRequest): Promise<CreatedNetwork> {
    return this.serialized(async () => {
      const created = buildNetwork(req, {
        existing: [...this.nets.values()],
        taken: this.taken(),
        picker: this.picker,
        hostRoutes: () => this.routes(),
        newId: () => this.newId(),
      });
      await this.put(created.record);
      return created;
    });
  }

  private async drop(id: string): Promise<void> {
    await this.files.remove(id);
    this.nets.delete(id);
  }

  /** `DELETE /networks/{id}`: Forbidden for built-in networks and for networks with endpoints. */
  remove(term: string, hasEndpoints: HasEndpoints = holdsAddresses): Promise<Readonly<NetworkRecord>> {
    return this.serialized(async () => {
      const rec = this.find(term);
      if (isPredefinedName(rec.Name))
        throw new Forbidden(`${rec.Name} is a pre-defined network and cannot be removed`);
      if (hasEndpoints(rec))
        throw new Forbidden(
          `error while removing network: network ${rec.Name} id ${rec.Id} has active endpoints`,
        );
      await this.drop(rec.Id);
      return rec;
    });
  }

  /** `POST /networks/prune` (keys: label, label!, until): the removed networks. */
  prune(
    filters: Filters = new Map(),
    hasEndpoints: HasEndpoints = holdsAddresses,
  ): Promise<Readonly<NetworkRecord>[]> {
    return this.serialized(async () => {
      const doomed = prunableNetworks(this.all(), filters, hasEndpoints);
      for (const n of doomed) await this.drop(n.Id);
      return doomed;
    });
  }

  /**
   * Addresses for endpoint `key` (normally the container id) on the network `term` names: the requested
   * ones when dockerd would allow them, else the lowest free. Idempotent for an endpoint that holds some.
   */
  allocate(term: string, key: string, want: AddressRequest = {}): Promise<EndpointAddresses> {
    return this.serialized(async () => {
      const rec = this.find(term);
      const alloc = chooseAddresses(rec, key, want);
      if (rec.endpoints[key] !== alloc)
        await this.put({ ...rec, endpoints: { ...rec.endpoints, [key]: alloc } });
      return endpointAddresses(rec, alloc);
    });
  }

  /** The addresses endpoint `key` holds on the network, or undefined. */
  addresses(term: string, key: string): EndpointAddresses | undefined {
    const rec = this.find(term);
    const alloc = rec.endpoints[key];
    return alloc ? endpointAddresses(rec, alloc) : undefined;
  }

  /** Gives back endpoint `key`'s addresses on the network; false when it held none. */
  release(term: string, key: string): Promise<boolean> {
    return this.serialized(async () => {
      const rec = this.find(term);
      if (!rec.endpoints[key]) return false;
      const endpoints = { ...rec.endpoints };
      delete endpoints[key];
      await this.put({ ...rec, endpoints });
      return true;
    });
  }

  /**
   * Gives back the addresses of every endpoint `keep` rejects, on every network (after a restart: the
   * containers that went away while the daemon was down). Returns what was released.
   */
  sweepEndpoints(
    keep: (key: string, network: Readonly<NetworkRecord>) => boolean,
  ): Promise<{ networkId: string; key: string }[]> {
    return this.serialized(async () => {
      const released: { networkId: string; key: string }[] = [];
      for (const rec of [...this.nets.values()]) {
        const gone = Object.keys(rec.endpoints).filter((k) => !keep(k, rec));
        if (gone.length === 0) continue;
        const endpoints = { ...rec.endpoints };
        for (const k of gone) {
          delete endpoints[k];
          released.push({ networkId: rec.Id, key: k });
        }
        await this.put({ ...rec, endpoints });
      }
      return released;
    });
  }
}
