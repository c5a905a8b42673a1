// What a network driver does for one container on one of its networks. The sandbox (the container's
// network namespace, `lo` up) exists before `join` and is gone after `leave`. The bridge driver
// (veth, addresses, routes, iptables) implements this next; `null` needs nothing beyond the sandbox.
export interface Endpoint {
  containerId: string;
  /** The network's name (`bridge`, `none`, or a user network). */
  network: string;
  /** The pinned network namespace the endpoint lives in. */
  sandboxPath: string;
}

export interface NetworkDriver {
  /** Docker's driver name, as `docker network ls` shows it. */
  readonly name: string;
  join(ep: Endpoint): Promise<void>;
  leave(ep: Endpoint): Promise<void>;
}

/** `none`, and for now the default `bridge`: a namespace of its own with only loopback. */
export const isolatedDriver: NetworkDriver = {
  name: 'null',
  async join() {},
  async leave() {},
};
