// A task's state as its bundle and /proc record it, read without asking its shim: what `tasks ls`
// answers for a task whose shim a restarted tsctrd has not reconnected to yet. Only clear cases are
// answered (the init is the shim's child and alive, or its exit file is written); anything else is
// undefined, and the caller waits for the shim.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Status } from '../../api/gen/containerd/types/task/task.js';

export interface RecordedState {
  pid: number;
  status: Status;
  exitStatus: number;
  /** Unix nanoseconds; 0 while the task runs. */
  exitedAt: bigint;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Fields of /proc/PID/stat after the command name: [state, ppid, ...]. */
function statOf(pid: number): string[] | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export function recordedState(bundle: string): RecordedState | undefined {
  const pid = Number(read(path.join(bundle, 'init.pid'))?.trim());
  if (!pid) return undefined;
  const exit = read(path.join(bundle, 'exit-init.json'));
  if (exit !== undefined) {
    try {
      const j = JSON.parse(exit) as { status: number; at: string };
      return { pid, status: Status.STOPPED, exitStatus: j.status, exitedAt: BigInt(j.at) };
    } catch {
      return undefined;
    }
  }
  const shim = Number(read(path.join(bundle, 'shim.pid'))?.trim());
  const stat = statOf(pid);
  // Not the shim's child (pid reused, or the shim gone), or a zombie not yet reaped: ask the shim.
  if (!stat || !shim || Number(stat[1]) !== shim || stat[0] === 'Z') return undefined;
  // runc's init waits for `start` under this name: the task is created, not yet started.
  if (read(`/proc/${pid}/comm`)?.trim() === 'runc:[2:INIT]')
    return { pid, status: Status.CREATED, exitStatus: 0, exitedAt: 0n };
  const frozen = frozenState(pid);
  if (frozen === undefined) return undefined;
  return { pid, status: frozen ? Status.PAUSED : Status.RUNNING, exitStatus: 0, exitedAt: 0n };
}

/** Whether the process's cgroup is frozen (paused): cgroup v2's cgroup.events, or v1's freezer. */
function frozenState(pid: number): boolean | undefined {
  const lines = read(`/proc/${pid}/cgroup`)?.split('\n') ?? [];
  const freezer = lines.find((l) => /^\d+:([^:]*,)?freezer(,[^:]*)?:/.test(l));
  if (freezer !== undefined) {
    const state = read(
      path.join('/sys/fs/cgroup/freezer', freezer.slice(freezer.indexOf(':/') + 1), 'freezer.state'),
    );
    return state === undefined ? undefined : state.trim() !== 'THAWED';
  }
  const unified = lines.find((l) => l.startsWith('0::'));
  if (unified === undefined) return undefined;
  const events = read(path.join('/sys/fs/cgroup', unified.slice(3), 'cgroup.events'));
  return events === undefined ? undefined : /^frozen 1$/m.test(events);
}
