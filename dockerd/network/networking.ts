// Docker networking assembled for the daemon: the network store and IPAM, the firewall, the bridge
// driver, the published-port table and the embedded DNS name table, brought up at start in dockerd's
// order (ip_forward, base chains, the default bridge, every stored bridge network).
import path from 'node:path';
import type { Logger } from 'pino';
import { parseCidr } from './ipam/index.js';
import { BridgeDriver, type BridgeNetwork } from './bridge/index.js';
import type { NetworkConfig } from './config.js';
import { EndpointNameTable } from './dns/index.js';
import { Firewall, setupIpForwarding } from './iptables/index.js';
import { PortPublisher, PortTable } from './ports/index.js';
import {
  NetworkStore,
  bridgeSettings,
  defaultBridgeSpec,
  parseCreateRequest,
  type NetworkRecord,
} from './store/index.js';

export class Networking {
  private constructor(
    readonly cfg: NetworkConfig,
    readonly store: NetworkStore,
    readonly firewall: Firewall,
    readonly driver: BridgeDriver,
    readonly publisher: PortPublisher,
    readonly names: EndpointNameTable,
    readonly log: Logger,
  ) {}

  static async start(cfg: NetworkConfig, dataRoot: string, log: Logger): Promise<Networking> {
    const store = await NetworkStore.open({
      dir: path.join(dataRoot, 'network'),
      ...(cfg.defaultAddressPools ? { defaultAddressPools: cfg.defaultAddressPools } : {}),
      log,
    });
    await store.ensureBuiltins();
    await store.ensureDefaultBridge(
      cfg.bridge === 'none'
        ? null
        : defaultBridgeSpec({ bridge: cfg.bridge, bip: cfg.bip, icc: cfg.icc, ip: cfg.ip }),
    );
    const firewall = new Firewall({ enabled: cfg.iptables, prefix: cfg.chainPrefix, log });
    if (cfg.ipForward) await setupIpForwarding(cfg.iptables);
    await firewall.ensureBase();
    const owner = cfg.chainPrefix === 'DOCKER' ? undefined : `tsctr-dockerd:${cfg.chainPrefix}`;
    const driver = new BridgeDriver({ firewall, log, ...(owner ? { owner } : {}) });
    const n = new Networking(
      cfg,
      store,
      firewall,
      driver,
      new PortPublisher(new PortTable({ log }), firewall),
      new EndpointNameTable(),
      log,
    );
    for (const rec of store.all()) {
      const bn = n.bridgeOf(rec);
      if (!bn) continue;
      await driver.createNetwork(bn);
      if (!n.isDefaultBridge(rec))
        n.names.setNetwork({ id: rec.Id, name: rec.Name, internal: rec.Internal, ipv6: rec.EnableIPv6 });
    }
    return n;
  }

  isDefaultBridge(rec: Readonly<NetworkRecord>): boolean {
    return rec.Name === 'bridge';
  }

  /** The bridge driver's view of a network (undefined for host and null). */
  bridgeOf(rec: Readonly<NetworkRecord>): BridgeNetwork | undefined {
    if (rec.Driver !== 'bridge' || !rec.ipv4) return undefined;
    const cidr = parseCidr(rec.ipv4.subnet);
    if (!cidr) return undefined;
    const s = bridgeSettings(rec.Options);
    const dflt = this.isDefaultBridge(rec);
    const v6 = rec.ipv6 ? parseCidr(rec.ipv6.subnet) : null;
    return {
      bridge: rec.bridgeName,
      gateway: rec.ipv4.gateway,
      prefixLen: cidr.prefix,
      ...(rec.ipv6 && v6 ? { gateway6: rec.ipv6.gateway, prefixLen6: v6.prefix } : {}),
      ...(s.mtu ? { mtu: s.mtu } : {}),
      icc: s.icc,
      masquerade: s.masquerade,
      internal: rec.Internal,
      ...(s.hostIPv4 ? { hostIp: s.hostIPv4 } : {}),
      nameOption: dflt ? '--bridge' : 'com.docker.network.bridge.name',
      subnetOption: dflt ? '--bip' : '--subnet',
    };
  }

  /** `POST /networks/create`: the record, then its bridge; a bridge that cannot be made undoes the record. */
  async createNetwork(
    body: Record<string, unknown>,
  ): Promise<{ record: Readonly<NetworkRecord>; warning: string }> {
    const { record, warning } = await this.store.create(parseCreateRequest(body));
    const bn = this.bridgeOf(record);
    try {
      if (bn) await this.driver.createNetwork(bn);
    } catch (err) {
      await this.store.remove(record.Id, () => false).catch(() => undefined);
      throw err;
    }
    this.names.setNetwork({
      id: record.Id,
      name: record.Name,
      internal: record.Internal,
      ipv6: record.EnableIPv6,
    });
    return { record, warning };
  }

  /** `DELETE /networks/{id}`: refused while it has live endpoints (`inUse`), then its bridge goes. */
  async removeNetwork(term: string, inUse: (id: string) => boolean): Promise<Readonly<NetworkRecord>> {
    const rec = await this.store.remove(term, (r) => inUse(r.Id));
    const bn = this.bridgeOf(rec);
    if (bn) await this.driver.deleteNetwork(bn);
    this.names.deleteNetwork(rec.Id);
    return rec;
  }
}
