// Publishing a container's ports end to end: the port table (held sockets, Docker's conflict
// errors) and the firewall's DNAT/ACCEPT/hairpin rules for the IPv4 entries. `::` entries have
// no ip6tables rules (IPv6 is not enabled on the bridges); their held socket relays to the container.
import type { Firewall, PortRule } from '../iptables/index.js';
import type { PortRequest } from './parse.js';
import type { PortTable, PublishTarget, PublishedPort } from './table.js';

export function portRules(ports: PublishedPort[], target: PublishTarget): PortRule[] {
  return ports
    .filter((p) => !p.hostIp.includes(':'))
    .map((p) => ({
      bridge: target.bridge,
      proto: p.proto,
      hostIp: p.hostIp,
      hostPort: p.hostPort,
      containerIp: target.containerIp,
      containerPort: p.containerPort,
    }));
}

/** `driver failed programming external connectivity on endpoint NAME (EPID): <cause>`, dockerd's wrapping. */
export function externalConnectivityMessage(
  endpointName: string,
  endpointId: string,
  cause: unknown,
): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return `driver failed programming external connectivity on endpoint ${endpointName} (${endpointId}): ${text}`;
}

export class PortPublisher {
  constructor(
    readonly table: PortTable,
    readonly firewall: Firewall,
  ) {}

  /** Container start: allocate and hold every port, then program the rules (all or nothing). */
  async publish(
    containerId: string,
    requests: PortRequest[],
    target: PublishTarget,
  ): Promise<PublishedPort[]> {
    if (requests.length === 0) return [];
    const ports = await this.table.allocate(containerId, requests, target);
    try {
      await this.firewall.publish(portRules(ports, target));
    } catch (err) {
      this.table.release(containerId);
      throw err;
    }
    return ports;
  }

  /** After a daemon restart, for a container still running: hold its ports again and re-ensure the rules. */
  async restore(containerId: string, ports: PublishedPort[], target: PublishTarget): Promise<void> {
    await this.table.restore(containerId, ports, target);
    await this.firewall.publish(portRules(ports, target));
  }

  /** Container stop: the rules, then the sockets. */
  async unpublish(containerId: string): Promise<PublishedPort[]> {
    const held = this.table.list(containerId);
    const byTarget = new Map<string, { target: PublishTarget; ports: PublishedPort[] }>();
    for (const h of held) {
      const k = `${h.target.bridge} ${h.target.containerIp}`;
      const g = byTarget.get(k) ?? { target: h.target, ports: [] };
      g.ports.push(h);
      byTarget.set(k, g);
    }
    const rules = [...byTarget.values()].flatMap((g) => portRules(g.ports, g.target));
    await this.firewall.unpublish(rules);
    return this.table.release(containerId);
  }
}
