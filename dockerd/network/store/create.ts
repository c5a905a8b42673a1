// A new user-defined network from a create request: dockerd 20.10's checks in its order (predefined
// name, duplicate name, IPAM subnets, name, driver, IPAM driver, address plan, bridge options, bridge
// name) with its error texts, and the record as `GET /networks/{id}` will show it.
import { Conflict, Forbidden, InvalidParameter } from '../../errdefs/index.js';
import { formatRFC3339Nano, nowNs } from '../../logs/format.js';
import type { Cidr } from '../ipam/cidr.js';
import type { PoolPicker } from '../ipam/pools.js';
import { BRIDGE_NAME, bridgeSettings } from './bridge-options.js';
import { planIpam, splitIpamConfig, type TakenSubnet } from './ipam-plan.js';
import { isPredefinedName, type NetworkCreateRequest, type NetworkRecord } from './types.js';

export interface CreateContext {
  existing: readonly NetworkRecord[];
  taken: readonly TakenSubnet[];
  picker: PoolPicker;
  hostRoutes: () => readonly Cidr[];
  newId: () => string;
}

export interface CreatedNetwork {
  record: NetworkRecord;
  /** dockerd's warning when a network of that name exists and CheckDuplicate was false; else ''. */
  warning: string;
}

function unsupported(kind: string, name: string, only: string): InvalidParameter {
  return new InvalidParameter(
    `could not find plugin ${name} in v1 plugin registry: plugin not found (tsctr-dockerd supports the ${only} ${kind} only)`,
  );
}

export function buildNetwork(req: NetworkCreateRequest, ctx: CreateContext): CreatedNetwork {
  const name = req.Name;
  if (isPredefinedName(name))
    throw new Forbidden(`operation is not permitted on predefined ${name} network `);
  let warning = '';
  const same = ctx.existing.find((n) => n.Name === name);
  if (same) {
    if (req.CheckDuplicate) throw new Conflict(`network with name ${name} already exists`);
    warning = `Network with name ${name} (id : ${same.Id}) already exists`;
  }
  splitIpamConfig(req.IPAM?.Config ?? []);
  if (name.trim() === '') throw new InvalidParameter(`invalid name: ${name}`);
  if (req.ConfigOnly || (req.ConfigFrom && req.ConfigFrom.Network))
    throw new InvalidParameter('configuration-only networks are not supported by tsctr-dockerd');
  if (req.Scope === 'swarm')
    throw new Forbidden('cannot create a swarm scoped network when swarm is not active');
  if (req.Scope && req.Scope !== 'local')
    throw new InvalidParameter(
      `invalid network scope ${req.Scope}: tsctr-dockerd creates local networks only`,
    );
  if (req.Ingress) throw new Forbidden('Ingress network can only be global scope network');

  const driver = req.Driver || 'bridge';
  if (driver === 'host' || driver === 'null')
    throw new Forbidden(`only one instance of "${driver}" network is allowed`);
  if (driver !== 'bridge') throw unsupported('network driver', driver, 'bridge');
  const ipamDriver = req.IPAM?.Driver || 'default';
  if (ipamDriver !== 'default') throw unsupported('IPAM driver', ipamDriver, 'default');

  const id = ctx.newId();
  const options = { ...(req.Options ?? {}) };
  const bridgeName = options[BRIDGE_NAME] || `br-${id.slice(0, 12)}`;
  const plan = planIpam({
    req,
    id,
    bridgeName,
    taken: ctx.taken,
    picker: ctx.picker,
    hostRoutes: ctx.hostRoutes,
  });
  bridgeSettings(options);
  const clash = ctx.existing.find((n) => n.bridgeName === bridgeName);
  if (clash)
    throw new Forbidden(
      `cannot create network ${id} (${bridgeName}): conflicts with network ${clash.Id} (${clash.bridgeName}): networks have same bridge name`,
    );

  const record: NetworkRecord = {
    Name: name,
    Id: id,
    Created: formatRFC3339Nano(nowNs()),
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: req.EnableIPv6 === true,
    IPAM: {
      Driver: 'default',
      Options: req.IPAM?.Options ? { ...req.IPAM.Options } : null,
      Config: plan.config,
    },
    Internal: req.Internal === true,
    Attachable: req.Attachable === true,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Options: options,
    Labels: { ...(req.Labels ?? {}) },
    bridgeName,
    ipv4: plan.ipv4,
    endpoints: {},
  };
  if (plan.ipv6) record.ipv6 = plan.ipv6;
  return { record, warning };
}
