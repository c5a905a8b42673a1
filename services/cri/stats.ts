// CRI stats from the containers' cgroups (v2: cpu.stat, memory.current, memory.stat, pids.current; v1:
// cpuacct.usage, memory.usage_in_bytes, memory.stat, pids.current). usage_nano_cores is the rate since
// the previous sample of the same id.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CpuUsage, MemoryUsage } from '../../api/gen/runtime/v1/api.js';

const ROOT = '/sys/fs/cgroup';

function kv(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const l of readFileSync(file, 'utf8').split('\n')) {
      const [k, v] = l.split(' ');
      if (k && v !== undefined) out[k] = Number(v);
    }
  } catch {
    // no such controller or cgroup gone
  }
  return out;
}

function num(file: string): number | undefined {
  try {
    const v = readFileSync(file, 'utf8').trim();
    return v === 'max' ? undefined : Number(v);
  } catch {
    return undefined;
  }
}

export interface CgroupSample {
  cpu: CpuUsage;
  memory: MemoryUsage;
  processes: number;
}

interface Raw {
  usage: number;
  current: number;
  limit: number | undefined;
  inactive: number;
  rss: number;
  faults: number;
  major: number;
  pids: number;
}

export class Sampler {
  private readonly last = new Map<string, { at: number; usage: number }>();
  private readonly unified = existsSync(path.join(ROOT, 'cgroup.controllers'));

  private read(cg: string): Raw {
    if (this.unified) {
      const d = path.join(ROOT, cg);
      const mem = kv(path.join(d, 'memory.stat'));
      return {
        usage: (kv(path.join(d, 'cpu.stat')).usage_usec ?? 0) * 1000,
        current: num(path.join(d, 'memory.current')) ?? 0,
        limit: num(path.join(d, 'memory.max')),
        inactive: mem.inactive_file ?? 0,
        rss: mem.anon ?? 0,
        faults: mem.pgfault ?? 0,
        major: mem.pgmajfault ?? 0,
        pids: num(path.join(d, 'pids.current')) ?? 0,
      };
    }
    const f = (ctrl: string, file: string) => path.join(ROOT, ctrl, cg, file);
    const mem = kv(f('memory', 'memory.stat'));
    const limit = num(f('memory', 'memory.limit_in_bytes'));
    return {
      usage: num(f('cpuacct', 'cpuacct.usage')) ?? 0,
      current: num(f('memory', 'memory.usage_in_bytes')) ?? 0,
      limit: limit !== undefined && limit < 2 ** 62 ? limit : undefined,
      inactive: mem.total_inactive_file ?? 0,
      rss: mem.total_rss ?? mem.rss ?? 0,
      faults: mem.total_pgfault ?? 0,
      major: mem.total_pgmajfault ?? 0,
      pids: num(f('pids', 'pids.current')) ?? 0,
    };
  }

  sample(key: string, cgroupsPath: string): CgroupSample {
    const now = Date.now() * 1e6;
    const r = this.read(cgroupsPath);
    const prev = this.last.get(key);
    this.last.set(key, { at: now, usage: r.usage });
    const rate =
      prev && now > prev.at ? Math.round(((r.usage - prev.usage) * 1e9) / (now - prev.at)) : undefined;
    const workingSet = Math.max(0, r.current - r.inactive);
    return {
      cpu: {
        timestamp: now,
        usageCoreNanoSeconds: { value: r.usage },
        ...(rate !== undefined ? { usageNanoCores: { value: Math.max(0, rate) } } : {}),
      },
      memory: {
        timestamp: now,
        workingSetBytes: { value: workingSet },
        usageBytes: { value: r.current },
        rssBytes: { value: r.rss },
        pageFaults: { value: r.faults },
        majorPageFaults: { value: r.major },
        ...(r.limit !== undefined ? { availableBytes: { value: Math.max(0, r.limit - workingSet) } } : {}),
      },
      processes: r.pids,
    };
  }
}
