// Docker's `bridge` driver: a network is a bridge device plus its iptables rules, an endpoint is a
// veth pair into the container's sandbox. Published ports are not the driver's business here: the
// daemon programs them with ports/ once the container's address is known.
import type { Logger } from 'pino';
import { InvalidParameter } from '../../errdefs/index.js';
import type { Endpoint, NetworkDriver } from '../driver.js';
import type { Firewall } from '../iptables/index.js';
import { networkOf } from './cidr.js';
import {
  createEndpointLink,
  nextIfname,
  removeEndpointLink,
  sweepEndpointLinks,
  vethName,
} from './endpoint.js';
import {
  DEFAULT_OWNER,
  checkBridgeLink,
  deleteBridgeLink,
  ensureBridgeLink,
  sweepBridgeLinks,
} from './link.js';

/** One bridge network: what the device and the firewall need to know. */
export interface BridgeNetwork {
  /** `docker0`, `br-<id12>`, or `com.docker.network.bridge.name`. */
  bridge: string;
  /** Gateway address on the bridge and the subnet's prefix length (`172.17.0.1`, 16). */
  gateway: string;
  prefixLen: number;
  mtu?: number;
  icc?: boolean;
  masquerade?: boolean;
  internal?: boolean;
  /** `com.docker.network.host_ipv4`. */
  hostIp?: string;
  /** The IPv6 gateway and prefix length (IPv6-enabled networks). */
  gateway6?: string;
  prefixLen6?: number;
  /** Options named in conflict messages (defaults `--bridge` and `--bip`). */
  nameOption?: string;
  subnetOption?: string;
}

export interface BridgeDriverOptions {
  firewall: Firewall;
  /**
   * The alias marking bridges as ours: default `tsctr-dockerd` with the `DOCKER` chain prefix,
   * `tsctr-dockerd:<prefix>` with another, so two daemons side by side never sweep each other's.
   */
  owner?: string;
  log?: Logger;
}

export class BridgeDriver implements NetworkDriver {
  readonly name = 'bridge';
  private readonly firewall: Firewall;
  private readonly owner: string;
  private readonly log?: Logger;

  constructor(opts: BridgeDriverOptions) {
    this.firewall = opts.firewall;
    const prefix = opts.firewall.names.docker;
    this.owner = opts.owner ?? (prefix === 'DOCKER' ? DEFAULT_OWNER : `${DEFAULT_OWNER}:${prefix}`);
    this.log = opts.log;
  }

  /** Whether ports are published through the kernel only (dockerd's hairpin mode). */
  get hairpin(): boolean {
    return this.firewall.mode.hairpin;
  }

  /** Network create, and daemon start for every bridge network in the store (idempotent). */
  async createNetwork(net: BridgeNetwork): Promise<void> {
    // Never a rule for a device we may not have (another's name or subnet): checked first. Then the
    // device and its rules side by side (the rules only name it).
    const cfg = {
      name: net.bridge,
      gateway: net.gateway,
      prefixLen: net.prefixLen,
      mtu: net.mtu,
      routeLocalnet: this.hairpin,
      nameOption: net.nameOption,
      subnetOption: net.subnetOption,
      ...(net.gateway6 ? { gateway6: net.gateway6, prefixLen6: net.prefixLen6 } : {}),
    };
    await checkBridgeLink(cfg, this.owner);
    const link = ensureBridgeLink(cfg, this.owner);
    const rules = this.firewall.ensureBridge(this.rulesOf(net));
    const [made] = await Promise.allSettled([link, rules]);
    if (made.status === 'rejected') {
      await rules.catch(() => undefined);
      await this.firewall.removeBridge(this.rulesOf(net)).catch(() => undefined);
      throw made.reason;
    }
    await rules;
  }

  /** Network rm: its rules, then its device (only if ours). */
  /** The alias on our bridges. */
  get ownerMark(): string {
    return this.owner;
  }

  async deleteNetwork(net: BridgeNetwork): Promise<void> {
    // Independent, so side by side: the rules only name the bridge, and the kernel takes its time
    // (~50 ms) to unregister a device.
    await Promise.all([
      this.firewall.removeBridge(this.rulesOf(net)),
      deleteBridgeLink(net.bridge, this.owner),
    ]);
  }

  /** The firewall's view of a network (for `Firewall.sweep`). */
  rulesOf(net: BridgeNetwork) {
    return {
      bridge: net.bridge,
      subnet: networkOf(net.gateway, net.prefixLen),
      icc: net.icc,
      masquerade: net.masquerade,
      internal: net.internal,
      hostIp: net.hostIp,
    };
  }

  async join(ep: Endpoint): Promise<void> {
    if (!ep.ip || ep.prefixLen === undefined || !ep.bridge)
      throw new InvalidParameter(`endpoint of ${ep.containerId} on ${ep.network} has no address or bridge`);
    const ifname = ep.ifname ?? (await nextIfname(ep.sandboxPath));
    ep.ifname = ifname;
    await createEndpointLink({
      sandboxPath: ep.sandboxPath,
      bridge: ep.bridge,
      hostIfname: vethName(ep.containerId, ep.network),
      ifname,
      ip: ep.ip,
      prefixLen: ep.prefixLen,
      mac: ep.mac,
      gateway: ep.gateway,
      isDefaultRoute: ep.isDefaultRoute,
      mtu: ep.mtu,
      ...(ep.ip6 ? { ip6: ep.ip6, prefixLen6: ep.prefixLen6, gateway6: ep.gateway6 } : {}),
      hairpin: this.hairpin,
    });
    this.log?.debug(
      { container: ep.containerId, network: ep.network, ifname, ip: ep.ip },
      'bridge endpoint up',
    );
  }

  async leave(ep: Endpoint): Promise<void> {
    await removeEndpointLink(vethName(ep.containerId, ep.network));
  }

  /** After a restart: deletes our bridges that belong to no network in `keep` (bridge names). */
  async sweepNetworks(keep: string[]): Promise<string[]> {
    return sweepBridgeLinks(keep, this.owner);
  }

  /** After a restart: removes veths on `bridge` whose endpoint is not in `live`. */
  async sweep(bridge: string, live: { containerId: string; network: string }[]): Promise<string[]> {
    return sweepEndpointLinks(
      bridge,
      live.map((e) => vethName(e.containerId, e.network)),
    );
  }
}
