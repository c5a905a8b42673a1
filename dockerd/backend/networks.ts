// The networks every Docker engine has — bridge, host, none — as `docker network ls/inspect` show
// them, with the running containers in each. User-defined networks come with the CNI work.
import { NotFound } from '../errdefs/index.js';
import type { Engine } from './engine.js';

export function listNetworks(e: Engine): unknown[] {
  return ['bridge', 'host', 'none'].map((n) => networkView(e, n));
}

export function networkView(e: Engine, id: string): Record<string, unknown> {
  const names: Record<string, string> = { bridge: 'bridge', host: 'host', none: 'null' };
  const name = Object.keys(names).find((n) => n === id || id === `${n}-network`);
  if (!name) throw new NotFound(`network ${id} not found`);
  const containers: Record<string, unknown> = {};
  for (const r of e.store.list()) {
    const mode = r.HostConfig.NetworkMode === 'default' ? 'bridge' : r.HostConfig.NetworkMode;
    if (mode === name && r.State.Running)
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
    Created: new Date(e.startedAt).toISOString(),
    Scope: 'local',
    Driver: names[name],
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
