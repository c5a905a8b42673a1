// docker stats: the task's cgroup metrics from tsctrd (v1 or v2) in Docker's stats JSON, with the
// host's total CPU time from /proc/stat so clients can compute CPU percentages.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Metrics as V1 } from '../../../api/gen/io/containerd/cgroups/v1/metrics.js';
import { Metrics as V2 } from '../../../api/gen/io/containerd/cgroups/v2/metrics.js';
import { InvalidParameter } from '../../errdefs/index.js';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../types.js';

/** Host CPU time in ns, as Docker computes system_cpu_usage (jiffies of the `cpu` line × 10 ms). */
export function systemCpuUsage(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('cpu '));
    const ticks = line!
      .trim()
      .split(/\s+/)
      .slice(1, 8)
      .map(Number)
      .reduce((a, b) => a + b, 0);
    return (ticks * 1e9) / 100;
  } catch {
    return 0;
  }
}

interface CpuBlock {
  cpu_usage: {
    total_usage: number;
    percpu_usage?: number[];
    usage_in_kernelmode: number;
    usage_in_usermode: number;
  };
  system_cpu_usage: number;
  online_cpus: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

const emptyCpu = (): CpuBlock => ({
  cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
  system_cpu_usage: 0,
  online_cpus: 0,
  throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
});

/** The cgroup's memory.stat numbers under the snake_case names Docker clients read. */
function snakeNumbers(o: object | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o ?? {})) {
    if (typeof v === 'number') out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  }
  return out;
}

/** Block I/O is not sampled yet: Docker's shape with every list null, as for a container without I/O. */
const emptyBlkio = (): Record<string, null> =>
  Object.fromEntries(
    [
      'io_service_bytes_recursive',
      'io_serviced_recursive',
      'io_queue_recursive',
      'io_service_time_recursive',
      'io_wait_time_recursive',
      'io_merged_recursive',
      'io_time_recursive',
      'sectors_recursive',
    ].map((k) => [k, null]),
  );

export interface StatsSample {
  read: string;
  cpu: CpuBlock;
  memory: Record<string, unknown>;
  pids: { current?: number; limit?: number };
  blkio: Record<string, unknown>;
}

export async function sample(e: Engine, rec: ContainerRecord): Promise<StatsSample> {
  const read = new Date().toISOString();
  const cpus = os.cpus().length;
  const base: StatsSample = { read, cpu: emptyCpu(), memory: {}, pids: {}, blkio: {} };
  if (!rec.State.Running) return base;
  const data = (await e.c.task(rec.Id).metrics())?.data;
  if (!data) return base;
  const sys = systemCpuUsage();
  if (data.typeUrl.endsWith('cgroups.v1.Metrics')) {
    const m = V1.decode(data.value);
    const u = m.cpu?.usage;
    const mem = m.memory;
    const stats = snakeNumbers(mem);
    return {
      read,
      cpu: {
        cpu_usage: {
          total_usage: u?.total ?? 0,
          percpu_usage: u?.perCpu ?? [],
          usage_in_kernelmode: u?.kernel ?? 0,
          usage_in_usermode: u?.user ?? 0,
        },
        system_cpu_usage: sys,
        online_cpus: cpus,
        throttling_data: {
          periods: m.cpu?.throttling?.periods ?? 0,
          throttled_periods: m.cpu?.throttling?.throttledPeriods ?? 0,
          throttled_time: m.cpu?.throttling?.throttledTime ?? 0,
        },
      },
      memory: {
        usage: mem?.usage?.usage ?? 0,
        max_usage: mem?.usage?.max ?? 0,
        stats,
        limit: Math.min(mem?.usage?.limit ?? os.totalmem(), os.totalmem()),
      },
      pids: { current: m.pids?.current ?? 0, ...(m.pids?.limit ? { limit: m.pids.limit } : {}) },
      blkio: emptyBlkio(),
    };
  }
  const m = V2.decode(data.value);
  const mem = m.memory;
  const stats = snakeNumbers(mem);
  return {
    read,
    cpu: {
      cpu_usage: {
        total_usage: (m.cpu?.usageUsec ?? 0) * 1000,
        usage_in_kernelmode: (m.cpu?.systemUsec ?? 0) * 1000,
        usage_in_usermode: (m.cpu?.userUsec ?? 0) * 1000,
      },
      system_cpu_usage: sys,
      online_cpus: cpus,
      throttling_data: {
        periods: m.cpu?.nrPeriods ?? 0,
        throttled_periods: m.cpu?.nrThrottled ?? 0,
        throttled_time: (m.cpu?.throttledUsec ?? 0) * 1000,
      },
    },
    memory: {
      usage: mem?.usage ?? 0,
      stats,
      limit: Math.min(mem?.usageLimit || os.totalmem(), os.totalmem()),
    },
    pids: { current: m.pids?.current ?? 0, ...(m.pids?.limit ? { limit: m.pids.limit } : {}) },
    blkio: emptyBlkio(),
  };
}

export function statsJson(
  rec: ContainerRecord,
  cur: StatsSample,
  prev: StatsSample | undefined,
): Record<string, unknown> {
  return {
    read: cur.read,
    preread: prev?.read ?? '0001-01-01T00:00:00Z',
    pids_stats: cur.pids,
    blkio_stats: cur.blkio,
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cur.cpu,
    precpu_stats: prev?.cpu ?? emptyCpu(),
    memory_stats: cur.memory,
    name: rec.Name,
    id: rec.Id,
  };
}

/** `docker top`: `ps` over the task's pids, in ps's own columns. */
export async function top(
  e: Engine,
  rec: ContainerRecord,
  psArgs: string,
): Promise<{ Titles: string[]; Processes: string[][] }> {
  const processes = await e.c.task(rec.Id).pids();
  const pids = new Set(processes.map((p) => p.pid));
  const args = psArgs ? psArgs.split(/\s+/).filter(Boolean) : ['-ef'];
  const text = await new Promise<string>((resolve, reject) =>
    execFile('ps', args, { maxBuffer: 16 << 20 }, (err, out) =>
      // ps refusing the request's ps_args is the request's fault: 400 (found by the API fuzzer).
      err ? reject(new InvalidParameter(`Error running ps: ${err.message}`)) : resolve(out),
    ),
  );
  const lines = text.split('\n').filter((l) => l.trim());
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw new InvalidParameter(`Couldn't find PID field in ps output`);
  const rows = lines.slice(1).map((l) => {
    const f = l.trim().split(/\s+/);
    return [...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(' ')];
  });
  return { Titles: titles, Processes: rows.filter((r) => pids.has(Number(r[pidCol]))) };
}
