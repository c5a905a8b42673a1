// Typed calls on tsctrd's Tasks service: a handle on one container's task (its init process, and its
// exec processes by exec ID), and the task list.
import type { Any } from '../../api/gen/google/protobuf/any.js';
import type { Timestamp } from '../../api/gen/google/protobuf/timestamp.js';
import type { DeleteResponse } from '../../api/gen/containerd/services/tasks/v1/tasks.js';
import type { Descriptor } from '../../api/gen/containerd/types/descriptor.js';
import type { Metric } from '../../api/gen/containerd/types/metrics.js';
import type { Mount } from '../../api/gen/containerd/types/mount.js';
import type { Process, ProcessInfo } from '../../api/gen/containerd/types/task/task.js';
import type { Connection } from '../connection.js';

export type { Metric, Process, ProcessInfo };
export { Status } from '../../api/gen/containerd/types/task/task.js';

export const PROCESS_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process';
export const RESOURCES_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources';

/** The FIFOs (paths; '' for none) a process's stdio is connected to. */
export interface TaskIO {
  stdin?: string;
  stdout?: string;
  stderr?: string;
  terminal?: boolean;
}

export interface CreateTaskOptions extends TaskIO {
  /** The root filesystem's mounts (the snapshot's). */
  rootfs: Mount[];
  checkpoint?: Descriptor;
  /** Runtime-specific options. */
  options?: Any;
  runtimePath?: string;
}

export interface ExitStatus {
  exitStatus: number;
  exitedAt: Timestamp | undefined;
}

/** What deleting a task or process reports: its pid and exit. */
export type DeletedProcess = DeleteResponse;

export class TaskHandle {
  constructor(
    private readonly c: Connection,
    readonly id: string,
  ) {}

  /** Creates the task (its init process, not started yet); returns its pid. */
  async create(o: CreateTaskOptions): Promise<number> {
    const c = this.c;
    const r = await c.call(c.tasks, c.tasks.create, {
      containerId: this.id,
      rootfs: o.rootfs,
      stdin: o.stdin ?? '',
      stdout: o.stdout ?? '',
      stderr: o.stderr ?? '',
      terminal: o.terminal ?? false,
      checkpoint: o.checkpoint,
      options: o.options,
      runtimePath: o.runtimePath ?? '',
    });
    return r.pid;
  }

  /** Starts the init process ('') or an exec process; returns its pid. */
  async start(execId = ''): Promise<number> {
    const c = this.c;
    return (await c.call(c.tasks, c.tasks.start, { containerId: this.id, execId })).pid;
  }

  /** Signals the init process (or `execId`'s; with `all`, every process in the container). */
  async kill(signal: number, o: { execId?: string; all?: boolean } = {}): Promise<void> {
    const c = this.c;
    await c.call(c.tasks, c.tasks.kill, {
      containerId: this.id,
      execId: o.execId ?? '',
      signal,
      all: o.all ?? false,
    });
  }

  /** Waits (without a deadline) for the init process or an exec process to exit. */
  async wait(execId = ''): Promise<ExitStatus> {
    const c = this.c;
    const r = await c.call(c.tasks, c.tasks.wait, { containerId: this.id, execId }, { noDeadline: true });
    return { exitStatus: r.exitStatus, exitedAt: r.exitedAt };
  }

  /** Deletes the task (its init process must have exited). */
  async delete(): Promise<DeletedProcess> {
    const c = this.c;
    return c.call(c.tasks, c.tasks.delete, { containerId: this.id });
  }

  /** Deletes an exec process. */
  async deleteProcess(execId: string): Promise<DeletedProcess> {
    const c = this.c;
    return c.call(c.tasks, c.tasks.deleteProcess, { containerId: this.id, execId });
  }

  /** The state of the init process or an exec process. */
  async get(execId = ''): Promise<Process | undefined> {
    const c = this.c;
    return (await c.call(c.tasks, c.tasks.get, { containerId: this.id, execId })).process;
  }

  /** Closes the process's stdin (its writer end in the shim). */
  async closeStdin(execId = ''): Promise<void> {
    const c = this.c;
    await c.call(c.tasks, c.tasks.closeIo, { containerId: this.id, execId, stdin: true });
  }

  async resizePty(width: number, height: number, execId = ''): Promise<void> {
    const c = this.c;
    await c.call(c.tasks, c.tasks.resizePty, { containerId: this.id, execId, width, height });
  }

  /** Adds exec process `execId` running `process` (an OCI Process spec); start it with `start(execId)`. */
  async exec(execId: string, process: object, io: TaskIO = {}): Promise<void> {
    const c = this.c;
    await c.call(c.tasks, c.tasks.exec, {
      containerId: this.id,
      execId,
      stdin: io.stdin ?? '',
      stdout: io.stdout ?? '',
      stderr: io.stderr ?? '',
      terminal: io.terminal ?? false,
      spec: { typeUrl: PROCESS_TYPE_URL, value: Buffer.from(JSON.stringify(process)) },
    });
  }

  async pause(): Promise<void> {
    const c = this.c;
    await c.call(c.tasks, c.tasks.pause, { containerId: this.id });
  }

  async resume(): Promise<void> {
    const c = this.c;
    await c.call(c.tasks, c.tasks.resume, { containerId: this.id });
  }

  /** The container's processes. */
  async pids(): Promise<ProcessInfo[]> {
    const c = this.c;
    return (await c.call(c.tasks, c.tasks.listPids, { containerId: this.id })).processes;
  }

  /** The task's cgroup metrics, if it has any. */
  async metrics(): Promise<Metric | undefined> {
    const c = this.c;
    return (await c.call(c.tasks, c.tasks.metrics, { filters: [`id==${this.id}`] })).metrics[0];
  }

  /** Changes the task's resources (an OCI LinuxResources) while it runs. */
  async update(resources: object, annotations: Record<string, string> = {}): Promise<void> {
    const c = this.c;
    await c.call(c.tasks, c.tasks.update, {
      containerId: this.id,
      resources: { typeUrl: RESOURCES_TYPE_URL, value: Buffer.from(JSON.stringify(resources)) },
      annotations,
    });
  }
}

/** Every task's init process in the namespace (`filter`: containerd's filter syntax). */
export async function listTasks(c: Connection, filter = ''): Promise<Process[]> {
  return (await c.call(c.tasks, c.tasks.list, { filter })).tasks;
}
