// The names the embedded DNS server answers for, with libnetwork's rules (sandbox.ResolveName /
// network.ResolveName / sandbox.ResolveIP in Docker 20.10), as a pure in-memory table that the
// daemon feeds from its network store:
// - every endpoint (one container on one user network) is known by its container name and by its
//   network aliases (user `--network-alias`, compose's service name, the short ID, the hostname);
//   several endpoints with one alias (a scaled compose service) give several addresses;
// - a container only sees the networks it is attached to itself;
// - for `a.b.c`: `a.b.c` in every network of the asker, then `a.b` in network `c`, then `a` in
//   network `b.c`; at each step the asker's own links on that network (`--link target:alias`)
//   first, then names and aliases;
// - the first network (in Docker's endpoint order) that knows the name answers;
// - a name known in one family only answers the other family with "no address" (never forwarded);
// - matching is case-insensitive, a trailing dot is ignored;
// - reverse lookups answer `<container name>.<network name>`.
import { isIP } from 'node:net';

/** What the resolver asks: the addresses of a name, or the name of an address, for one container. */
export interface NameTable {
  /**
   * Addresses of `name` as container `asker` sees it; `undefined` when the name is not one of
   * Docker's (the query is then forwarded). A known name may have an empty list in one family.
   */
  resolve(asker: string, name: string): { v4: string[]; v6: string[] } | undefined;
  /** `<name>.<network>` for an address on one of the asker's networks, else `undefined`. */
  reverse(asker: string, ip: string): string | undefined;
  /** Changes whenever an answer may have changed (tables that do not track it leave it out: no cache). */
  readonly version?: number;
}

export interface DnsNetwork {
  id: string;
  name: string;
  /** Internal networks come last in the lookup order, as in libnetwork. */
  internal?: boolean;
  /** IPv6-enabled (dual-stack) networks come first in the lookup order. */
  ipv6?: boolean;
}

export interface DnsLink {
  /** The linked container's name (without a leading `/`). */
  target: string;
  /** The name the linking container uses for it. */
  alias: string;
}

export interface DnsEndpoint {
  containerId: string;
  /** Container name without the leading `/`; empty for an anonymous endpoint. */
  containerName: string;
  networkId: string;
  ipv4?: string;
  ipv6?: string;
  /** `NetworkSettings.Networks[n].Aliases` as inspect shows them (user aliases, short ID, …). */
  aliases?: readonly string[];
  /** Legacy links of this container on this (user) network; they resolve only for it. */
  links?: readonly DnsLink[];
}

interface Family {
  ips: string[];
  /** The name is known here, but only in the other family. */
  miss: boolean;
}

const NONE: Family = { ips: [], miss: false };
const lower = (s: string) => s.toLowerCase();

/** Canonical text of an address, so that `2001:db8:0::1` and `2001:db8::1` match. */
export function canonicalIp(ip: string): string {
  const bare = ip.split('%')[0];
  if (isIP(bare) !== 6) return bare;
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
}

interface NetworkIndex {
  byName: Map<string, DnsEndpoint[]>;
  byIp: Map<string, DnsEndpoint>;
}

/** The in-memory name table; every mutation re-indexes only the network it touches. */
export class EndpointNameTable implements NameTable {
  private readonly networks = new Map<string, DnsNetwork>();
  /** networkId -> containerId -> endpoint */
  private readonly endpoints = new Map<string, Map<string, DnsEndpoint>>();
  private readonly indexes = new Map<string, NetworkIndex>();
  /** Bumped on every change: answers cached under an older version are stale. */
  version = 0;

  setNetwork(net: DnsNetwork): void {
    this.version++;
    this.networks.set(net.id, { ...net });
  }

  /** Forgets a network and every endpoint on it. */
  deleteNetwork(id: string): void {
    this.version++;
    this.networks.delete(id);
    this.endpoints.delete(id);
    this.indexes.delete(id);
  }

  /** Adds or replaces the endpoint of `ep.containerId` on `ep.networkId`. */
  setEndpoint(ep: DnsEndpoint): void {
    this.version++;
    let eps = this.endpoints.get(ep.networkId);
    if (!eps) this.endpoints.set(ep.networkId, (eps = new Map()));
    eps.set(ep.containerId, { ...ep, aliases: [...(ep.aliases ?? [])], links: [...(ep.links ?? [])] });
    this.indexes.delete(ep.networkId);
  }

  deleteEndpoint(containerId: string, networkId: string): void {
    if (this.endpoints.get(networkId)?.delete(containerId)) {
      this.version++;
      this.indexes.delete(networkId);
    }
  }

  /** Forgets a container on every network. */
  deleteContainer(containerId: string): void {
    for (const networkId of this.endpoints.keys()) this.deleteEndpoint(containerId, networkId);
  }

  resolve(asker: string, name: string): { v4: string[]; v6: string[] } | undefined {
    const eps = this.askerEndpoints(asker);
    if (eps.length === 0) return undefined;
    const req = lower(name.replace(/\.$/, ''));
    const v4 = this.walk(req, eps, 4);
    const v6 = this.walk(req, eps, 6);
    if (v4.ips.length === 0 && !v4.miss && v6.ips.length === 0 && !v6.miss) return undefined;
    return { v4: v4.ips, v6: v6.ips };
  }

  reverse(asker: string, ip: string): string | undefined {
    const key = canonicalIp(ip);
    for (const ep of this.askerEndpoints(asker)) {
      const net = this.networks.get(ep.networkId);
      const owner = this.index(ep.networkId).byIp.get(key);
      if (!net || !owner) continue;
      const name = owner.containerName || owner.aliases?.[0];
      if (name) return `${name}.${net.name}`;
    }
    return undefined;
  }

  /** The asker's endpoints in libnetwork's order: not internal, dual-stack, then by network name. */
  private askerEndpoints(asker: string): DnsEndpoint[] {
    const rank = (ep: DnsEndpoint) => {
      const net = this.networks.get(ep.networkId);
      return (net?.internal ? 2 : 0) + (net?.ipv6 ? 0 : 1);
    };
    const found: DnsEndpoint[] = [];
    for (const [networkId, eps] of this.endpoints) {
      const ep = eps.get(asker);
      if (ep && this.networks.has(networkId)) found.push(ep);
    }
    const netName = (ep: DnsEndpoint) => this.networks.get(ep.networkId)?.name ?? '';
    return found.sort(
      (a, b) => rank(a) - rank(b) || (netName(a) < netName(b) ? -1 : netName(a) > netName(b) ? 1 : 0),
    );
  }

  /** Tries `a.b.c` everywhere, then `a.b` in network `c`, then `a` in network `b.c`. */
  private walk(req: string, eps: DnsEndpoint[], family: 4 | 6): Family {
    const steps: Array<[string, string | undefined]> = [[req, undefined]];
    for (let i = req.lastIndexOf('.'); i > 0; i = req.lastIndexOf('.', i - 1)) {
      steps.push([req.slice(0, i), req.slice(i + 1)]);
    }
    for (const [name, network] of steps) {
      for (const viaLink of [true, false]) {
        const found = this.step(name, network, eps, viaLink, family);
        if (found.ips.length > 0 || found.miss) return found;
      }
    }
    return NONE;
  }

  private step(
    req: string,
    network: string | undefined,
    eps: DnsEndpoint[],
    viaLink: boolean,
    family: 4 | 6,
  ) {
    let miss = false;
    for (const ep of eps) {
      const net = this.networks.get(ep.networkId);
      if (!net || (network !== undefined && lower(net.name) !== network)) continue;
      const link = ep.links?.find((l) => lower(l.alias) === req);
      // A link alias is only looked up through the link; a plain name never through one.
      if (viaLink !== (link !== undefined)) continue;
      const target = link ? lower(link.target) : req;
      const owners = this.index(ep.networkId).byName.get(target);
      if (!owners) continue;
      const ips = unique(owners.map((o) => (family === 4 ? o.ipv4 : o.ipv6)));
      if (ips.length > 0) return { ips, miss: false };
      if (owners.some((o) => (family === 4 ? o.ipv6 : o.ipv4))) miss = true;
    }
    return { ips: [], miss };
  }

  private index(networkId: string): NetworkIndex {
    let idx = this.indexes.get(networkId);
    if (idx) return idx;
    idx = { byName: new Map(), byIp: new Map() };
    for (const ep of this.endpoints.get(networkId)?.values() ?? []) {
      const names = new Set([ep.containerName, ...(ep.aliases ?? [])].filter((n) => n !== '').map(lower));
      for (const n of names) {
        const list = idx.byName.get(n);
        if (list) list.push(ep);
        else idx.byName.set(n, [ep]);
      }
      for (const ip of [ep.ipv4, ep.ipv6]) {
        if (ip && !idx.byIp.has(canonicalIp(ip))) idx.byIp.set(canonicalIp(ip), ep);
      }
    }
    this.indexes.set(networkId, idx);
    return idx;
  }
}

function unique(ips: Array<string | undefined>): string[] {
  return [...new Set(ips.filter((ip): ip is string => ip !== undefined && ip !== ''))];
}
