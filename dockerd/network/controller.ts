// Docker networking wired to the container lifecycle. At create the OCI spec gets the namespace to use
// (the host's, another container's, or the container's own sandbox file). Before each start the
// sandbox is made, the container joins each of its networks (veth, address, DNS names), its ports
// are published and its /etc files rewritten; at exit, removal, and after a daemon restart that found
// it stopped, all of that is undone. Connect and disconnect work on running and created containers.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DnsDefaults } from '../backend/etc-files.js';
import type { LifecycleHooks, RestoredState, SandboxContext, SpecContext } from '../backend/lifecycle.js';
import type { ContainerRecord, EndpointSettings } from '../backend/types.js';
import { Forbidden, InvalidParameter, SystemError } from '../errdefs/index.js';
import { joinNetwork, leaveNetwork } from './attach.js';
import { type Resolver, startResolver } from './dns/index.js';
import { rewriteHosts, shareEtcFiles, writeEmbeddedResolvConf } from './etc.js';
import { configureLinks, linkTargets } from './links.js';
import { parseNetworkMode } from './mode.js';
import { createNetns, removeNetns } from './netns.js';
import type { Networking } from './networking.js';
import {
  type PublishTarget,
  type PublishedPort,
  externalConnectivityMessage,
  networkSettingsPorts,
  portRequests,
  portRules,
  validatePortBindings,
} from './ports/index.js';
import { clearOperationalData, emptyEndpoint, networkState } from './state.js';
import { sweepNetworking } from './sweep.js';
import type { NetworkRecord } from './store/index.js';

export interface ContainerLookup {
  get(ref: string): ContainerRecord;
  find(ref: string): ContainerRecord | undefined;
  list(): ContainerRecord[];
  save(rec: ContainerRecord): void;
}

/** Network events as dockerd sends them (connect/disconnect name the container). */
export type NetworkEventSink = (action: string, net: Readonly<NetworkRecord>, containerId?: string) => void;

/** `NetworkSettings.Ports` back into the ports a running container holds (after a restart). */
function publishedOf(
  ports: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>,
): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [key, list] of Object.entries(ports)) {
    const [port, proto = 'tcp'] = key.split('/');
    for (const b of list ?? [])
      out.push({
        containerPort: Number(port),
        proto: proto === 'udp' ? 'udp' : 'tcp',
        hostIp: b.HostIp ?? '',
        hostPort: Number(b.HostPort),
      });
  }
  return out;
}

export class NetworkController implements LifecycleHooks {
  readonly name = 'network';
  private readonly dir: string;
  private readonly resolvers = new Map<string, Resolver>();
  /** Teardowns under way: `rm -f` ends the run (exited) while removing it (removed); one teardown serves both. */
  private readonly tearing = new Map<string, Promise<void>>();

  constructor(
    execRoot: string,
    private readonly n: Networking,
    private readonly containers: ContainerLookup,
    private readonly event: NetworkEventSink,
    private readonly dns: DnsDefaults,
    private readonly log: Logger,
  ) {
    this.dir = path.join(execRoot, 'netns');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Where a container's own network namespace is pinned while it runs. */
  sandboxPath(id: string): string {
    return path.join(this.dir, id);
  }

  /** The network a name, id or id prefix names (`network X not found` otherwise). */
  network(term: string): Readonly<NetworkRecord> {
    return this.n.store.find(term);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  configureSpec({ rec, spec }: SpecContext): void {
    const mode = parseNetworkMode(rec.HostConfig.NetworkMode);
    let nsPath: string | undefined;
    if (mode.kind === 'container') {
      const other = this.containers.get(mode.ref);
      if (!other.State.Running)
        throw new InvalidParameter(`cannot join network of a non running container: ${other.Id}`);
      const own = parseNetworkMode(other.HostConfig.NetworkMode).kind === 'sandbox';
      nsPath = own ? this.sandboxPath(other.Id) : `/proc/${other.State.Pid}/ns/net`;
      shareEtcFiles(rec, other, spec);
    } else if (mode.kind === 'sandbox') {
      nsPath = this.sandboxPath(rec.Id);
      // The endpoint is keyed by the network's name, whatever the mode called it (an id, a prefix).
      const net = this.network(mode.network);
      const st = networkState(rec);
      if (!(net.Name in st.Networks)) {
        const [key] = Object.keys(st.Networks);
        const ep = key ? st.Networks[key] : emptyEndpoint(undefined);
        if (key) delete st.Networks[key];
        st.Networks = { [net.Name]: ep, ...st.Networks };
      }
      validatePortBindings(rec.HostConfig.PortBindings as never);
      configureLinks(rec, this.n.isDefaultBridge(net) ? undefined : net.Name, this.containers);
    }
    const namespaces = (spec.linux?.namespaces ?? []).filter((ns) => ns.type !== 'network');
    if (nsPath) namespaces.push({ type: 'network', path: nsPath });
    spec.linux = { ...spec.linux, namespaces };
  }

  async sandbox({ rec, editSpec }: SandboxContext): Promise<void> {
    const kind = parseNetworkMode(rec.HostConfig.NetworkMode).kind;
    if (kind === 'host') this.hostEndpoint(rec, true);
    if (kind !== 'sandbox') return;
    const links = linkTargets(rec, this.containers);
    const file = this.sandboxPath(rec.Id);
    // `restart`: the last run's teardown may still be under way; it must not remove the new sandbox.
    await this.tearing.get(rec.Id);
    removeNetns(file); // a leftover from a run whose exit we did not see
    createNetns(file);
    const st = networkState(rec);
    st.SandboxKey = file;
    st.SandboxID = randomBytes(32).toString('hex');
    try {
      await this.attachAll(rec, file, links);
      await this.linkRules(rec, links);
      const env = links.flatMap((l) => l.env);
      if (env.length > 0)
        editSpec((spec) => ({
          ...spec,
          process: { ...spec.process!, env: [...(spec.process?.env ?? []), ...env] },
        }));
    } catch (err) {
      await this.teardown(rec).catch(() => undefined);
      throw err;
    }
  }

  async exited(rec: ContainerRecord): Promise<void> {
    await this.teardown(rec);
  }

  async removed(rec: ContainerRecord): Promise<void> {
    await this.teardown(rec);
    this.n.names.deleteContainer(rec.Id);
  }

  async restored(rec: ContainerRecord, state: RestoredState): Promise<void> {
    if (state !== 'running') {
      await this.teardown(rec);
      return;
    }
    if (parseNetworkMode(rec.HostConfig.NetworkMode).kind !== 'sandbox') return;
    // Still running: its veths and rules outlived us; hold its ports and answer its names again.
    const st = networkState(rec);
    const target = this.publishTarget(rec);
    const user = this.registerNames(rec);
    const published = publishedOf(st.Ports);
    if (target && published.length > 0) await this.n.publisher.restore(rec.Id, published, target);
    if (user) await this.startDns(rec, st.SandboxKey || this.sandboxPath(rec.Id), true);
  }

  /** A renamed running container answers to its new name on its user networks (as libnetwork's rename). */
  renamed(rec: ContainerRecord): void {
    if (rec.State.Running) this.registerNames(rec);
  }

  /** Puts the container's user-network endpoints in the DNS table under its name; true if it has any. */
  private registerNames(rec: ContainerRecord): boolean {
    let user = false;
    for (const [name, ep] of Object.entries(networkState(rec).Networks)) {
      const net = this.n.store.get(ep.NetworkID ?? '') ?? this.n.store.list().find((x) => x.Name === name);
      if (!net || !ep.IPAddress || this.n.isDefaultBridge(net)) continue;
      user = true;
      this.n.names.setEndpoint({
        containerId: rec.Id,
        containerName: rec.Name.slice(1),
        networkId: net.Id,
        ipv4: ep.IPAddress || undefined,
        ipv6: ep.GlobalIPv6Address || undefined,
        aliases: ep.Aliases ?? [],
        links: (ep.Links ?? []).map((l) => {
          const [target, alias] = l.split(':');
          return { target: target.replace(/^\//, ''), alias: alias ?? target.replace(/^\//, '') };
        }),
      });
    }
    return user;
  }

  // ---- connect / disconnect ----------------------------------------------------------------------

  /** `POST /networks/{id}/connect`: on a created container only its config changes; a running one joins now. */
  async connect(
    rec: ContainerRecord,
    net: Readonly<NetworkRecord>,
    asked: EndpointSettings | null,
  ): Promise<void> {
    const mode = parseNetworkMode(rec.HostConfig.NetworkMode);
    if (mode.kind !== 'sandbox')
      throw new InvalidParameter(
        'container sharing network namespace with another container or host cannot be connected to any other network',
      );
    if (mode.network === 'none' || net.Name === 'none' || net.Name === 'host')
      throw new InvalidParameter(
        'container cannot be connected to multiple networks with one of the networks in private (none) mode',
      );
    const st = networkState(rec);
    if (net.Name in st.Networks)
      throw new Forbidden(`endpoint with name ${rec.Name.slice(1)} already exists in network ${net.Name}`);
    const ep = emptyEndpoint(asked);
    st.Networks[net.Name] = ep;
    if (rec.State.Running && st.SandboxKey) {
      try {
        await joinNetwork(this.n, rec, net, ep, { sandboxPath: st.SandboxKey, defaultRoute: false });
      } catch (err) {
        delete st.Networks[net.Name];
        throw err;
      }
      this.event('connect', net, rec.Id);
      this.writeHosts(rec);
      if (!this.n.isDefaultBridge(net) && !this.resolvers.has(rec.Id))
        await this.startDns(rec, st.SandboxKey, false);
    }
    this.containers.save(rec);
  }

  /** `POST /networks/{id}/disconnect`. */
  async disconnect(rec: ContainerRecord, net: Readonly<NetworkRecord>): Promise<void> {
    const st = networkState(rec);
    const ep = st.Networks[net.Name];
    if (!ep) throw new SystemError(`container ${rec.Id} is not connected to network ${net.Name}`);
    if (rec.State.Running && st.SandboxKey && ep.EndpointID) {
      await leaveNetwork(this.n, rec, net, ep, st.SandboxKey);
      // dockerd logs one event when the endpoint goes and one more for the request.
      this.event('disconnect', net, rec.Id);
    }
    this.event('disconnect', net, rec.Id);
    delete st.Networks[net.Name];
    if (rec.State.Running) this.writeHosts(rec);
    this.containers.save(rec);
  }

  /** Whether a network has a live endpoint (a running container on it). */
  inUse(networkId: string): boolean {
    return this.containers
      .list()
      .some(
        (r) =>
          r.State.Running &&
          Object.values(networkState(r).Networks).some((e) => e.NetworkID === networkId && e.EndpointID),
      );
  }

  // ---- pieces ------------------------------------------------------------------------------------

  private async attachAll(
    rec: ContainerRecord,
    file: string,
    links: Array<{ names: string; ip: string }> = [],
  ): Promise<void> {
    const st = networkState(rec);
    let target: PublishTarget | undefined;
    let endpointId = '';
    let user = false;
    for (const [name, ep] of Object.entries(st.Networks)) {
      const net = this.network(name);
      await joinNetwork(this.n, rec, net, ep, { sandboxPath: file, defaultRoute: !target });
      this.event('connect', net, rec.Id);
      const bridge = this.n.bridgeOf(net);
      if (bridge && ep.IPAddress && !target) {
        target = { bridge: bridge.bridge, containerIp: ep.IPAddress };
        endpointId = ep.EndpointID ?? '';
      }
      if (!this.n.isDefaultBridge(net)) user = true;
    }
    // A binding without an address takes the daemon's --ip (all addresses by default).
    const dflt = this.n.cfg.ip === '0.0.0.0' ? '' : this.n.cfg.ip;
    const requests = portRequests(
      rec.HostConfig.PortBindings as never,
      rec.Config.ExposedPorts,
      rec.HostConfig.PublishAllPorts ?? false,
    ).map((r) => (r.hostIp === '' ? { ...r, hostIp: dflt } : r));
    if (target && requests.length > 0) {
      try {
        const published = await this.n.publisher.publish(rec.Id, requests, target);
        st.Ports = networkSettingsPorts(rec.Config.ExposedPorts, published);
      } catch (err) {
        throw new SystemError(externalConnectivityMessage(rec.Name.slice(1), endpointId, err));
      }
    } else st.Ports = networkSettingsPorts(rec.Config.ExposedPorts, []);
    this.writeHosts(rec, links);
    if (user) await this.startDns(rec, file, false);
  }

  /**
   * Without inter-container communication on the default bridge (`--icc=false`), a link opens the
   * target's exposed ports to the linking container, both ways, as dockerd's bridge driver does.
   */
  private async linkRules(
    rec: ContainerRecord,
    links: Array<{ ip: string; ports: Array<{ port: number; proto: string }> }>,
  ): Promise<void> {
    const target = this.publishTarget(rec);
    if (this.n.cfg.icc || !target || links.length === 0) return;
    const rules = links.flatMap((l) =>
      l.ports
        .filter((p) => p.proto === 'tcp' || p.proto === 'udp')
        .map((p) => ({
          bridge: target.bridge,
          parentIp: target.containerIp,
          childIp: l.ip,
          proto: p.proto as 'tcp' | 'udp',
          port: p.port,
        })),
    );
    if (rules.length === 0) return;
    rec.LinkRules = rules;
    await this.n.firewall.link(rules);
  }

  /** Where the ports of a container lead: its first bridge network with an address. */
  private publishTarget(rec: ContainerRecord): PublishTarget | undefined {
    for (const [name, ep] of Object.entries(networkState(rec).Networks)) {
      const net = this.n.store.get(ep.NetworkID ?? '') ?? this.n.store.list().find((x) => x.Name === name);
      const bridge = net && this.n.bridgeOf(net);
      if (bridge && ep.IPAddress) return { bridge: bridge.bridge, containerIp: ep.IPAddress };
    }
    return undefined;
  }

  private writeHosts(rec: ContainerRecord, links?: Array<{ names: string; ip: string }>): void {
    const ips = Object.values(networkState(rec).Networks)
      .map((e) => e.IPAddress ?? '')
      .filter((ip) => ip);
    rewriteHosts(rec, ips, links ?? this.linkHosts(rec));
  }

  /** The hosts lines of the links whose targets still run (for rewrites after the start). */
  private linkHosts(rec: ContainerRecord): Array<{ names: string; ip: string }> {
    try {
      return linkTargets(rec, this.containers);
    } catch {
      return [];
    }
  }

  private async startDns(rec: ContainerRecord, sandboxPath: string, rulesMayExist: boolean): Promise<void> {
    await this.resolvers.get(rec.Id)?.close();
    const conf = writeEmbeddedResolvConf(rec, this.dns);
    this.resolvers.set(
      rec.Id,
      await startResolver({
        sandboxPath,
        containerId: rec.Id,
        table: this.n.names,
        upstreams: conf.upstreams,
        ndotsSet: conf.ndotsSet,
        rulesMayExist,
        log: this.log,
      }),
    );
  }

  /** `--network host`: the host's namespace (dockerd's `netns/default`) and an endpoint on `host`. */
  private hostEndpoint(rec: ContainerRecord, up: boolean): void {
    const st = networkState(rec);
    const ep = st.Networks.host;
    st.SandboxKey = up ? path.join(this.dir, 'default') : '';
    st.SandboxID = up ? randomBytes(32).toString('hex') : '';
    if (!ep) return;
    if (up)
      Object.assign(ep, { NetworkID: this.network('host').Id, EndpointID: randomBytes(32).toString('hex') });
    else clearOperationalData(ep);
  }

  private teardown(rec: ContainerRecord): Promise<void> {
    const under = this.tearing.get(rec.Id);
    if (under) return under;
    const p = this.teardownOnce(rec).finally(() => this.tearing.delete(rec.Id));
    this.tearing.set(rec.Id, p);
    return p;
  }

  private async teardownOnce(rec: ContainerRecord): Promise<void> {
    const kind = parseNetworkMode(rec.HostConfig.NetworkMode).kind;
    if (kind === 'host') this.hostEndpoint(rec, false);
    if (kind !== 'sandbox') return;
    const file = this.sandboxPath(rec.Id);
    const resolver = this.resolvers.get(rec.Id);
    this.resolvers.delete(rec.Id);
    await resolver?.close();
    const st = networkState(rec);
    const held = await this.n.publisher.unpublish(rec.Id);
    if (held.length === 0) {
      // A run we did not see end (the daemon was down): its rules are still there, its sockets are not.
      const target = this.publishTarget(rec);
      const published = publishedOf(st.Ports);
      if (target && published.length > 0) await this.n.firewall.unpublish(portRules(published, target));
    }
    if (rec.LinkRules?.length) {
      await this.n.firewall
        .unlink(rec.LinkRules)
        .catch((err: Error) => this.log.warn({ id: rec.Id, err: err.message }, 'removing link rules failed'));
      rec.LinkRules = undefined;
    }
    for (const [name, ep] of Object.entries(st.Networks)) {
      if (!ep.EndpointID) continue;
      const net = this.n.store.get(ep.NetworkID ?? '') ?? this.n.store.list().find((x) => x.Name === name);
      await leaveNetwork(this.n, rec, net, ep, file).catch((err: Error) =>
        this.log.warn({ id: rec.Id, network: name, err: err.message }, 'leaving a network failed'),
      );
      if (net) this.event('disconnect', net, rec.Id);
    }
    removeNetns(file);
    st.Ports = {};
    st.SandboxKey = '';
    st.SandboxID = '';
  }

  /** After a restart: what containers that went away while we were down left behind. */
  sweep(): Promise<number> {
    return sweepNetworking(this.n, this.dir, this.containers, this.log);
  }
}
