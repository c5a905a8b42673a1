// The networks router's backend. The networks every Docker engine has — bridge, host, none — as
// `docker network ls/inspect` show them, with the running containers in each. User-defined
// networks come with the bridge driver.
import { NotFound, NotImplemented } from '../errdefs/index.js';
import type { Filters } from '../wire/filters.js';
import type { ContainerRecord } from '../backend/types.js';
import { BUILTIN_NETWORKS, parseNetworkMode } from './mode.js';

export class NetworksService {
  private readonly created = new Date().toISOString();

  constructor(private readonly containers: { list(): ContainerRecord[] }) {}

  listNetworks(_filters: Filters): unknown[] {
    return Object.keys(BUILTIN_NETWORKS).map((n) => this.network(n));
  }

  network(id: string): Record<string, unknown> {
    const name = Object.keys(BUILTIN_NETWORKS).find((n) => n === id || id === `${n}-network`);
    if (!name) throw new NotFound(`network ${id} not found`);
    const containers: Record<string, unknown> = {};
    for (const r of this.containers.list()) {
      const mode = parseNetworkMode(r.HostConfig.NetworkMode);
      const on = mode.kind === 'sandbox' ? mode.network : mode.kind;
      if (on === name && r.State.Running)
        containers[r.Id] = {
          Name: r.Name.slice(1),
          EndpointID: '',
          MacAddress: '',
          IPv4Address: '',
          IPv6Address: '',
        };
    }
    return {
      Name: name,
      Id: name,
      Created: this.created,
      Scope: 'local',
      Driver: BUILTIN_NETWORKS[name],
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: containers,
      Options: {},
      Labels: {},
    };
  }

  async createNetwork(_body: Record<string, unknown>): Promise<{ Id: string; Warning: string }> {
    throw new NotImplemented('user-defined networks are not supported by tsctr-dockerd yet');
  }

  /** Only the built-in networks exist, and they are never pruned. */
  async pruneNetworks(_filters: Filters): Promise<{ NetworksDeleted: string[] | null }> {
    return { NetworksDeleted: null };
  }
}
