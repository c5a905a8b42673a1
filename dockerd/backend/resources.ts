// A Docker container's cgroup resources from its HostConfig, for create and for `docker update`
// (one function, so both agree), and dockerd's checks of those fields with its texts. What this host's
// cgroups cannot do is refused rather than dropped.
import { existsSync, readFileSync } from 'node:fs';
import { deviceFromPath, type LinuxResources, type LinuxThrottleDevice } from '../../client/spec/index.js';
import { InvalidParameter } from '../errdefs/index.js';
import type { HostConfig } from './types.js';

interface ThrottleDevice {
  Path?: string;
  Rate?: number;
}
interface WeightDevice {
  Path?: string;
  Weight?: number;
}

const CPUSET = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;
const THROTTLES = [
  ['BlkioDeviceReadBps', 'throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
  ['BlkioDeviceWriteBps', 'throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
  ['BlkioDeviceReadIOps', 'throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
  ['BlkioDeviceWriteIOps', 'throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
] as const;

/** Whether this host's blkio controller has a file (cgroup v1 layout; on v2, whether `io` is enabled). */
function blkioHas(v1File: string): boolean {
  try {
    return readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('io');
  } catch {
    return existsSync(`/sys/fs/cgroup/blkio/${v1File}`);
  }
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** dockerd's checks of the resource fields (create and update), with its texts. */
export function checkResources(hc: HostConfig): void {
  const memory = num(hc.Memory);
  if (memory !== 0 && memory < 6 * 1024 * 1024)
    throw new InvalidParameter('Minimum memory limit allowed is 6MB');
  const swap = num(hc.MemorySwap);
  if (memory > 0 && swap > 0 && swap < memory)
    throw new InvalidParameter('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memory === 0 && swap > 0)
    throw new InvalidParameter(
      'You should always set the Memory limit when using Memoryswap limit, see usage',
    );
  const reservation = num(hc.MemoryReservation);
  if (memory > 0 && reservation > memory)
    throw new InvalidParameter(
      'Minimum memory limit can not be less than memory reservation limit, see usage',
    );
  const sw = hc.MemorySwappiness;
  if (typeof sw === 'number' && sw !== -1 && (sw < 0 || sw > 100))
    throw new InvalidParameter(`Invalid value: ${sw}, valid memory swappiness range is 0-100`);
  // cgroup v2 has no per-cgroup swappiness and no OOM-killer switch: dockerd discards them there; we refuse.
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  if (v2 && typeof sw === 'number' && sw !== -1)
    throw new InvalidParameter('MemorySwappiness is not supported on cgroup v2');
  if (v2 && hc.OomKillDisable === true)
    throw new InvalidParameter('OomKillDisable is not supported on cgroup v2');
  if (num(hc.NanoCpus) > 0 && (num(hc.CpuQuota) > 0 || num(hc.CpuPeriod) > 0))
    throw new InvalidParameter('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  const period = num(hc.CpuPeriod);
  if (period !== 0 && (period < 1000 || period > 1_000_000))
    throw new InvalidParameter(
      'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)',
    );
  const quota = num(hc.CpuQuota);
  if (quota !== 0 && quota !== -1 && quota < 1000)
    throw new InvalidParameter('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  for (const k of ['CpusetCpus', 'CpusetMems'] as const) {
    const v = hc[k];
    if (v && !CPUSET.test(v))
      throw new InvalidParameter(`Invalid value ${v} for cpuset ${k === 'CpusetCpus' ? 'cpus' : 'mems'}`);
  }
  if (num(hc.CpuRealtimePeriod) !== 0 || num(hc.CpuRealtimeRuntime) !== 0)
    throw new InvalidParameter(
      'CPU real-time period and runtime are not supported by this daemon (no --cpu-rt-runtime)',
    );
  if (num(hc.KernelMemory) !== 0 || num(hc.KernelMemoryTCP) !== 0)
    throw new InvalidParameter('Kernel memory limits are not supported (deprecated in the kernel)');
  const weight = num(hc.BlkioWeight);
  if (weight !== 0 && (weight < 10 || weight > 1000))
    throw new InvalidParameter('Range of blkio weight is from 10 to 1000');
  const weightDevices = (hc.BlkioWeightDevice as WeightDevice[] | null | undefined) ?? [];
  if (
    (weight !== 0 || weightDevices.length > 0) &&
    !blkioHas('blkio.weight') &&
    !blkioHas('blkio.bfq.weight')
  )
    throw new InvalidParameter(
      'Your kernel does not support Block I/O weight: BlkioWeight and BlkioWeightDevice cannot be applied',
    );
  for (const [field, , file] of THROTTLES) {
    const list = (hc[field] as ThrottleDevice[] | null | undefined) ?? [];
    if (list.length > 0 && !blkioHas(file))
      throw new InvalidParameter(`Your kernel does not support ${field}: ${file} is missing`);
    for (const t of list)
      if (!t?.Path || typeof t.Rate !== 'number' || t.Rate < 0)
        throw new InvalidParameter(`invalid ${field} entry: ${JSON.stringify(t)}`);
  }
}

async function deviceNumbers(p: string): Promise<{ major: number; minor: number }> {
  let dev;
  try {
    dev = await deviceFromPath(p);
  } catch {
    dev = undefined;
  }
  if (!dev || dev.type !== 'b') throw new InvalidParameter(`${p} is not a block device`);
  return { major: dev.major, minor: dev.minor };
}

/** The block-device throttles and weights (device paths resolved to their numbers). */
export async function blockIoOf(hc: HostConfig): Promise<LinuxResources['blockIO']> {
  const out: NonNullable<LinuxResources['blockIO']> = {};
  if (num(hc.BlkioWeight) > 0) out.weight = num(hc.BlkioWeight);
  const weights = (hc.BlkioWeightDevice as WeightDevice[] | null | undefined) ?? [];
  if (weights.length > 0)
    out.weightDevice = await Promise.all(
      weights.map(async (w) => ({ ...(await deviceNumbers(w.Path ?? '')), weight: w.Weight ?? 0 })),
    );
  for (const [field, key] of THROTTLES) {
    const list = (hc[field] as ThrottleDevice[] | null | undefined) ?? [];
    if (list.length === 0) continue;
    const devs: LinuxThrottleDevice[] = [];
    for (const t of list) devs.push({ ...(await deviceNumbers(t.Path ?? '')), rate: t.Rate ?? 0 });
    out[key] = devs;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The cgroup resources HostConfig asks for, over `base` (the spec's current ones: device rules kept).
 * A limit `base` had and HostConfig no longer sets is lifted (-1), so `docker update` can unset it.
 */
export function resourcesOf(hc: HostConfig, base: LinuxResources | undefined): LinuxResources {
  const r: LinuxResources = { ...(base ?? {}) };
  const memory = { ...r.memory };
  const m = num(hc.Memory);
  if (m > 0) {
    memory.limit = m;
    const swap = num(hc.MemorySwap);
    memory.swap = swap > 0 || swap === -1 ? swap : m * 2;
  }
  if (num(hc.MemoryReservation) > 0) memory.reservation = num(hc.MemoryReservation);
  if (typeof hc.MemorySwappiness === 'number' && hc.MemorySwappiness >= 0)
    memory.swappiness = hc.MemorySwappiness;
  if (hc.OomKillDisable === true) memory.disableOOMKiller = true;
  if (Object.keys(memory).length > 0) r.memory = memory;

  const cpu = { ...r.cpu };
  const nano = num(hc.NanoCpus);
  const quota = num(hc.CpuQuota);
  if (nano > 0) {
    cpu.quota = Math.trunc((nano * 100_000) / 1e9);
    cpu.period = 100_000;
  } else if (quota > 0 || quota === -1) {
    cpu.quota = quota;
    cpu.period = num(hc.CpuPeriod) || 100_000;
  } else if (num(hc.CpuPeriod) > 0) cpu.period = num(hc.CpuPeriod);
  if (num(hc.CpuShares) > 0) cpu.shares = num(hc.CpuShares);
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (hc.CpusetMems) cpu.mems = hc.CpusetMems;
  if (Object.keys(cpu).length > 0) r.cpu = cpu;

  const pids = num(hc.PidsLimit);
  if (pids > 0) r.pids = { limit: pids };
  else if (r.pids) r.pids = { limit: -1 };
  return r;
}
