// POST /containers/{id}/update (docker update): resources and the restart policy. The record and
// the stored spec change for the next start; a running task gets the new limits at once.
import type { LinuxResources, Spec } from '../../../client/spec/index.js';
import { specOf } from '../../../client/services/containers.js';
import { InvalidParameter } from '../../errdefs/index.js';
import type { Engine } from '../engine.js';
import type { ContainerRecord, RestartPolicy } from '../types.js';

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
}

const POLICIES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);

/** The OCI resources the host config now asks for. */
function resourcesOf(rec: ContainerRecord, base: LinuxResources | undefined): LinuxResources {
  const hc = rec.HostConfig;
  const r: LinuxResources = { ...(base ?? {}) };
  if (hc.Memory && hc.Memory > 0) {
    r.memory = {
      ...r.memory,
      limit: hc.Memory,
      swap: hc.MemorySwap && hc.MemorySwap !== 0 ? hc.MemorySwap : hc.Memory * 2,
    };
  }
  if (hc.NanoCpus && hc.NanoCpus > 0)
    r.cpu = { ...r.cpu, quota: Math.trunc((hc.NanoCpus * 100_000) / 1e9), period: 100_000 };
  else if (hc.CpuQuota && hc.CpuQuota > 0)
    r.cpu = { ...r.cpu, quota: hc.CpuQuota, period: hc.CpuPeriod || 100_000 };
  if (hc.CpuShares && hc.CpuShares > 0) r.cpu = { ...r.cpu, shares: hc.CpuShares };
  if (hc.CpusetCpus) r.cpu = { ...r.cpu, cpus: hc.CpusetCpus };
  if (hc.PidsLimit && hc.PidsLimit > 0) r.pids = { limit: hc.PidsLimit };
  return r;
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
  if (body.Memory && body.Memory > 0 && body.Memory < 6 * 1024 * 1024)
    throw new InvalidParameter('Minimum memory limit allowed is 6MB');
  await e.runtime(rec.Id).serial(async () => {
    const hc = rec.HostConfig;
    for (const k of [
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
    ] as const) {
      const v = body[k];
      if (v !== undefined && v !== null && v !== 0 && v !== '') (hc as Record<string, unknown>)[k] = v;
    }
    if (body.PidsLimit !== undefined && body.PidsLimit !== null && body.PidsLimit !== 0)
      hc.PidsLimit = body.PidsLimit;
    if (body.RestartPolicy?.Name)
      hc.RestartPolicy = {
        Name: body.RestartPolicy.Name,
        MaximumRetryCount: body.RestartPolicy.MaximumRetryCount ?? 0,
      };
    const container = await e.c.container(rec.Id).get();
    const spec = specOf<Spec>(container);
    const resources = resourcesOf(rec, spec.linux?.resources);
    spec.linux = { ...spec.linux, resources };
    if (rec.State.Running && !rec.State.Restarting) {
      await e.c.task(rec.Id).update(resources);
    }
    await e.c.container(rec.Id).setSpec(container, spec);
    e.store.save(rec);
  });
  e.containerEvent(rec, 'update');
  return { Warnings: [] };
}
