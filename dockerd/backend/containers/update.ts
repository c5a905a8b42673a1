// POST /containers/{id}/update (docker update): resources and the restart policy, with dockerd's
// rules (a zero or absent field changes nothing; PidsLimit 0 or -1 and CpuQuota -1 lift the limit).
// The record and the stored spec change for the next start; a running task gets the new limits at once.
// Fields dockerd's update accepts but never applies are refused here.
import type { Spec } from '../../../client/spec/index.js';
import { specOf } from '../../../client/services/containers.js';
import { InvalidParameter } from '../../errdefs/index.js';
import type { Engine } from '../engine.js';
import { checkResources, resourcesOf } from '../resources.js';
import type { ContainerRecord, HostConfig, RestartPolicy } from '../types.js';

export interface UpdateBody {
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  BlkioWeight?: number;
  RestartPolicy?: RestartPolicy | null;
  [key: string]: unknown;
}

const POLICIES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);

/** Set by a non-zero value. */
const SETTABLE = [
  'Memory',
  'MemorySwap',
  'MemoryReservation',
  'NanoCpus',
  'CpuShares',
  'CpuPeriod',
  'CpuQuota',
  'CpusetCpus',
  'CpusetMems',
  'BlkioWeight',
] as const;

/** Resources fields an update may carry (the CLI sends them all, zeroed) that no update applies. */
const NOT_UPDATABLE = [
  'CgroupParent',
  'BlkioWeightDevice',
  'BlkioDeviceReadBps',
  'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps',
  'CpuRealtimePeriod',
  'CpuRealtimeRuntime',
  'Devices',
  'DeviceCgroupRules',
  'DeviceRequests',
  'KernelMemory',
  'KernelMemoryTCP',
  'MemorySwappiness',
  'OomKillDisable',
  'Ulimits',
  'CpuCount',
  'CpuPercent',
  'IOMaximumIOps',
  'IOMaximumBandwidth',
];

const isSet = (v: unknown): boolean =>
  v !== undefined &&
  v !== null &&
  v !== 0 &&
  v !== '' &&
  v !== false &&
  !(Array.isArray(v) && v.length === 0);

/** The HostConfig after the update (the record is not touched). */
function updatedHostConfig(hc: HostConfig, body: UpdateBody): HostConfig {
  const next: HostConfig = { ...hc };
  for (const k of SETTABLE) if (isSet(body[k])) (next as Record<string, unknown>)[k] = body[k];
  // NanoCpus and CpuQuota/CpuPeriod are two ways to say the same: the one given replaces the other.
  if (isSet(body.NanoCpus)) {
    next.CpuQuota = 0;
    next.CpuPeriod = 0;
  } else if (isSet(body.CpuQuota) || isSet(body.CpuPeriod)) next.NanoCpus = 0;
  if (typeof body.PidsLimit === 'number') next.PidsLimit = body.PidsLimit > 0 ? body.PidsLimit : 0;
  return next;
}

export async function updateContainer(
  e: Engine,
  rec: ContainerRecord,
  body: UpdateBody,
): Promise<{ Warnings: string[] }> {
  if (body.RestartPolicy) {
    const name = body.RestartPolicy.Name ?? '';
    if (!POLICIES.has(name)) throw new InvalidParameter(`invalid restart policy: unknown policy '${name}'`);
    if (rec.HostConfig.AutoRemove && name !== '' && name !== 'no') {
      throw new InvalidParameter(
        'Restart policy cannot be updated because AutoRemove is enabled for the container',
      );
    }
  }
  for (const k of NOT_UPDATABLE) {
    if (isSet(body[k]))
      throw new InvalidParameter(`${k} cannot be changed by an update; recreate the container`);
  }
  if (typeof body.Memory === 'number' && body.Memory !== 0 && body.Memory < 6 * 1024 * 1024)
    throw new InvalidParameter('Minimum memory limit allowed is 6MB');
  await e.runtime(rec.Id).serial(async () => {
    const hc = updatedHostConfig(rec.HostConfig, body);
    const swap = hc.MemorySwap ?? 0;
    if (isSet(body.Memory) && !isSet(body.MemorySwap) && swap > 0 && (hc.Memory ?? 0) > swap)
      throw new InvalidParameter(
        'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time',
      );
    checkResources(hc);
    if (body.RestartPolicy?.Name)
      hc.RestartPolicy = {
        Name: body.RestartPolicy.Name,
        MaximumRetryCount: body.RestartPolicy.MaximumRetryCount ?? 0,
      };
    const container = await e.c.container(rec.Id).get();
    const spec = specOf<Spec>(container);
    const resources = resourcesOf(hc, spec.linux?.resources);
    spec.linux = { ...spec.linux, resources };
    if (rec.State.Running && !rec.State.Restarting) {
      await e.c.task(rec.Id).update(resources);
    }
    await e.c.container(rec.Id).setSpec(container, spec);
    rec.HostConfig = hc;
    e.store.save(rec);
  });
  e.containerEvent(rec, 'update');
  return { Warnings: [] };
}
