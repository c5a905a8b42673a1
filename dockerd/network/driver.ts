// What a network driver does for one container on one of its networks. The sandbox (the container's
// network namespace, `lo` up) exists before `join` and is gone after `leave`. The bridge driver
// (veth, addresses, routes, iptables) implements it; `null` and `host` need nothing beyond the sandbox.
export interface Endpoint {
  containerId: string;
  /** The network's name (`bridge`, `none`, or a user network). */
  network: string;
  /** The pinned network namespace the endpoint lives in. */
  sandboxPath: string;
  // The bridge driver's fields (set by the caller from the network and the IP allocation):
  /** IPv4 address and prefix length, e.g. `172.17.0.2` / 16. */
  ip?: string;
  prefixLen?: number;
  /** Default `02:42:<ip bytes>`. */
  mac?: string;
  gateway?: string;
  /** Name inside the container: `eth0`, `eth1`, … (default: the next free one). */
  ifname?: string;
  /** The network's bridge interface (`docker0`, `br-<id12>`). */
  bridge?: string;
  /** Whether this network gives the container its default route (its first non-internal network). */
  isDefaultRoute?: boolean;
  mtu?: number;
  /** IPv6 (networks with EnableIPv6): address, prefix length and gateway. */
  ip6?: string;
  prefixLen6?: number;
  gateway6?: string;
}

export interface NetworkDriver {
  /** Docker's driver name, as `docker network ls` shows it. */
  readonly name: string;
  join(ep: Endpoint): Promise<void>;
  leave(ep: Endpoint): Promise<void>;
}
