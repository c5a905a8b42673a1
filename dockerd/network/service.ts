// The networks router's backend: create, list, inspect, remove and prune networks, and connect and
// disconnect containers, with the events dockerd sends for each.
import { NotFound } from '../errdefs/index.js';
import type { Filters } from '../wire/filters.js';
import type { ContainerRecord, EndpointSettings } from '../backend/types.js';
import type { NetworkController } from './controller.js';
import type { Networking } from './networking.js';
import { networkState } from './state.js';
import {
  type NetworkContainerView,
  type NetworkRecord,
  networkContainerView,
  networkInspect,
} from './store/index.js';

export interface ConnectBody {
  Container?: string;
  EndpointConfig?: EndpointSettings | null;
}

export class NetworksService {
  constructor(
    private readonly n: Networking,
    private readonly ctl: NetworkController,
    private readonly containers: { get(ref: string): ContainerRecord; list(): ContainerRecord[] },
    private readonly event: (action: string, net: Readonly<NetworkRecord>, containerId?: string) => void,
  ) {}

  listNetworks(filters: Filters): unknown[] {
    return this.n.store.list(filters, (r) => this.ctl.inUse(r.Id)).map((r) => networkInspect(r));
  }

  network(term: string): Record<string, unknown> {
    const rec = this.n.store.find(term);
    const live: Record<string, NetworkContainerView> = {};
    for (const c of this.containers.list()) {
      if (!c.State.Running) continue;
      for (const ep of Object.values(networkState(c).Networks)) {
        if (ep.NetworkID === rec.Id && ep.EndpointID)
          live[c.Id] = networkContainerView(rec, c.Id, c.Name.slice(1), ep.EndpointID);
      }
    }
    return networkInspect(rec, live) as unknown as Record<string, unknown>;
  }

  async createNetwork(body: Record<string, unknown>): Promise<{ Id: string; Warning: string }> {
    const { record, warning } = await this.n.createNetwork(body);
    this.event('create', record);
    return { Id: record.Id, Warning: warning };
  }

  async removeNetwork(term: string): Promise<void> {
    const rec = await this.n.removeNetwork(term, (id) => this.ctl.inUse(id));
    this.event('destroy', rec);
  }

  async pruneNetworks(filters: Filters): Promise<{ NetworksDeleted: string[] | null }> {
    const removed = await this.n.store.prune(filters, (r) => this.ctl.inUse(r.Id));
    for (const rec of removed) {
      const bn = this.n.bridgeOf(rec);
      if (bn) await this.n.driver.deleteNetwork(bn);
      this.n.names.deleteNetwork(rec.Id);
      this.event('destroy', rec);
    }
    return { NetworksDeleted: removed.length > 0 ? removed.map((r) => r.Name) : null };
  }

  async connect(term: string, body: ConnectBody): Promise<void> {
    const net = this.n.store.find(term);
    const rec = this.container(body.Container);
    await this.ctl.connect(rec, net, body.EndpointConfig ?? null);
  }

  async disconnect(term: string, body: { Container?: string; Force?: boolean }): Promise<void> {
    const net = this.n.store.find(term);
    const rec = this.container(body.Container);
    await this.ctl.disconnect(rec, net);
  }

  private container(ref: string | undefined): ContainerRecord {
    if (!ref) throw new NotFound('No such container: ');
    return this.containers.get(ref);
  }
}
