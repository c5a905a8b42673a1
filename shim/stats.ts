// Task metrics from the container's cgroup (v1 here; v2 when /sys/fs/cgroup is unified), as the
// io.containerd.cgroups.v1/v2 Metrics messages ctr decodes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = '/sys/fs/cgroup';

function num(file: string): number {
  try {
    const v = Number(readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
    // "unlimited" is near 2^63 and cannot travel as a JS number: cap it.
    return Number.isFinite(v) ? Math.min(v, Number.MAX_SAFE_INTEGER) : 0;
  } catch {
    return 0;
  }
}

function kv(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const l of readFileSync(file, 'utf8').split('\n')) {
      const [k, v] = l.split(' ');
      if (k && v !== undefined) out[k] = Math.min(Number(v), Number.MAX_SAFE_INTEGER);
    }
  } catch {
    // controller missing
  }
  return out;
}

/**
 * The metrics message types are loaded on the first stats call: most shims never get one, and
 * evaluating them at start-up cost every shim their objects and code.
 */
export async function cgroupStats(cgroupsPath: string): Promise<{ typeUrl: string; value: Buffer }> {
  const unified = existsSync(path.join(ROOT, 'cgroup.controllers'));
  if (unified) {
    const { Metrics: V2Metrics } = await import('../api/gen/io/containerd/cgroups/v2/metrics.js');
    const d = path.join(ROOT, cgroupsPath);
    const cpu = kv(path.join(d, 'cpu.stat'));
    const mem = kv(path.join(d, 'memory.stat'));
    const m = V2Metrics.fromPartial({
      pids: { current: num(path.join(d, 'pids.current')), limit: num(path.join(d, 'pids.max')) },
      cpu: { usageUsec: cpu.usage_usec ?? 0, userUsec: cpu.user_usec ?? 0, systemUsec: cpu.system_usec ?? 0 },
      memory: {
        usage: num(path.join(d, 'memory.current')),
        usageLimit: num(path.join(d, 'memory.max')),
        anon: mem.anon ?? 0,
        file: mem.file ?? 0,
      },
    });
    return { typeUrl: 'io.containerd.cgroups.v2.Metrics', value: Buffer.from(V2Metrics.encode(m).finish()) };
  }
  const { Metrics: V1Metrics } = await import('../api/gen/io/containerd/cgroups/v1/metrics.js');
  const c = (ctrl: string, f: string) => path.join(ROOT, ctrl, cgroupsPath, f);
  const stat = kv(c('memory', 'memory.stat'));
  const perCpu = (() => {
    try {
      return readFileSync(c('cpuacct', 'cpuacct.usage_percpu'), 'utf8').trim().split(/\s+/).map(Number);
    } catch {
      return [];
    }
  })();
  const cpuStat = kv(c('cpuacct', 'cpuacct.stat'));
  const tick = 1e7; // USER_HZ 100 → ns
  const m = V1Metrics.fromPartial({
    pids: { current: num(c('pids', 'pids.current')), limit: num(c('pids', 'pids.max')) },
    cpu: {
      usage: {
        total: num(c('cpuacct', 'cpuacct.usage')),
        user: (cpuStat.user ?? 0) * tick,
        kernel: (cpuStat.system ?? 0) * tick,
        perCpu,
      },
      throttling: { periods: 0, throttledPeriods: 0, throttledTime: 0 },
    },
    memory: {
      cache: stat.cache ?? 0,
      rss: stat.rss ?? 0,
      totalCache: stat.total_cache ?? 0,
      totalRss: stat.total_rss ?? 0,
      usage: {
        usage: num(c('memory', 'memory.usage_in_bytes')),
        limit: num(c('memory', 'memory.limit_in_bytes')),
        max: num(c('memory', 'memory.max_usage_in_bytes')),
        failcnt: num(c('memory', 'memory.failcnt')),
      },
    },
  });
  return { typeUrl: 'io.containerd.cgroups.v1.Metrics', value: Buffer.from(V1Metrics.encode(m).finish()) };
}

/** The cgroup's OOM-kill counter (v1 memory.oom_control, v2 memory.events); 0 when unknown. */
export function oomKills(cgroupsPath: string): number {
  const unified = existsSync(path.join(ROOT, 'cgroup.controllers'));
  const file = unified
    ? path.join(ROOT, cgroupsPath, 'memory.events')
    : path.join(ROOT, 'memory', cgroupsPath, 'memory.oom_control');
  return kv(file).oom_kill ?? 0;
}
