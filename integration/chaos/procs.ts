// The processes of one test tsctrd as /proc shows them: its shims (the spare one apart), and the
// children of a process (a shim's container init).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function pids(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
}

export function cmdline(pid: number): string[] {
  return read(`/proc/${pid}/cmdline`).split('\0');
}

export function ppidOf(pid: number): number {
  const stat = read(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
}

export function alive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is not running.
  const stat = read(`/proc/${pid}/stat`);
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

export interface Shim {
  pid: number;
  spare: boolean;
  ns: string;
  id: string;
}

/** Shims started by the tsctrd listening on `address`. */
export function shimsOf(address: string): Shim[] {
  const out: Shim[] = [];
  for (const pid of pids()) {
    const args = cmdline(pid);
    if (!args.some((a) => a.endsWith('tsctr-shim.js'))) continue;
    const at = args.indexOf('-address');
    if (at < 0 || args[at + 1] !== address) continue;
    const val = (flag: string) => {
      const i = args.indexOf(flag);
      return i >= 0 ? (args[i + 1] ?? '') : '';
    };
    let ns = val('-namespace');
    let id = val('-id');
    let spare = false;
    if (args.includes('spare')) {
      // An adopted spare keeps "spare" in its command line but lives in its task's bundle.
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        cwd = '';
      }
      const m = /\/tasks\/([^/]+)\/([^/]+)$/.exec(cwd);
      if (m) [, ns, id] = m;
      else spare = true;
    }
    out.push({ pid, spare, ns, id });
  }
  return out;
}

export function childrenOf(pid: number): number[] {
  return pids().filter((p) => ppidOf(p) === pid);
}

/** Resident set (kB) and open descriptors of a process. */
export function usage(pid: number): { rssKb: number; fds: number } {
  const rss = /VmRSS:\s+(\d+)/.exec(read(`/proc/${pid}/status`));
  let fds = 0;
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    fds = 0;
  }
  return { rssKb: rss ? Number(rss[1]) : 0, fds };
}
