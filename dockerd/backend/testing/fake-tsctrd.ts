// A fake tsctrd for unit tests of the Docker core: the real client talks gRPC to an in-process server
// whose Tasks, Containers and Snapshots services keep tasks in memory. A task "runs" until the test
// makes it exit; like a shim, it holds the stdio FIFOs open while it runs and writes to stdout.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { ContainersService } from '../../../api/gen/containerd/services/containers/v1/containers.js';
import { SnapshotsService } from '../../../api/gen/containerd/services/snapshots/v1/snapshots.js';
import { TasksService } from '../../../api/gen/containerd/services/tasks/v1/tasks.js';
import { Status } from '../../../api/gen/containerd/types/task/task.js';
import { Connection } from '../../../client/connection.js';
import { FakeServer, type Req, StatusError } from '../../../client/testing/fake-server.js';

interface FakeTask {
  pid: number;
  status: Status;
  exitStatus: number;
  /** The stdout and stderr FIFOs' write ends, held while the task runs. */
  fds: number[];
  waiters: Array<() => void>;
}

export class FakeTsctrd {
  readonly tasks = new Map<string, FakeTask>();
  readonly containers = new Set<string>();
  /** Make the next task create fail with this message (as runc's would). */
  failNextCreate: string | undefined;
  /** Called when a task is about to be deleted (a test looks at what was recorded by then). */
  beforeTaskDelete: ((id: string) => void) | undefined;
  private nextPid = 1000;
  readonly server: FakeServer;

  constructor() {
    const task = (r: Req): FakeTask => {
      const t = this.tasks.get(String(r.containerId));
      if (!t) throw new StatusError(status.NOT_FOUND, `task ${String(r.containerId)}: not found`);
      return t;
    };
    this.server = new FakeServer({
      tasks: {
        definition: TasksService,
        unary: {
          create: (r: Req) => {
            const id = String(r.containerId);
            if (this.tasks.has(id))
              throw new StatusError(status.ALREADY_EXISTS, `task ${id}: already exists`);
            if (this.failNextCreate) {
              const m = this.failNextCreate;
              this.failNextCreate = undefined;
              throw new StatusError(status.UNKNOWN, m);
            }
            const fds = [r.stdout, r.stderr]
              .filter((f) => f)
              .map((f) => openSync(String(f), constants.O_WRONLY | constants.O_NONBLOCK));
            const t: FakeTask = {
              pid: this.nextPid++,
              status: Status.CREATED,
              exitStatus: 0,
              fds,
              waiters: [],
            };
            this.tasks.set(id, t);
            return { containerId: id, pid: t.pid };
          },
          start: (r: Req) => {
            const t = task(r);
            t.status = Status.RUNNING;
            if (t.fds.length > 0) writeSync(t.fds[0], `run of ${String(r.containerId)}\n`);
            return { pid: t.pid };
          },
          wait: (r: Req) => {
            const t = task(r);
            const answer = () => ({ exitStatus: t.exitStatus, exitedAt: { seconds: 1, nanos: 0 } });
            if (t.status === Status.STOPPED) return answer();
            return new Promise((resolve) => t.waiters.push(() => resolve(answer())));
          },
          kill: (r: Req) => {
            this.exit(String(r.containerId), 128 + Number(r.signal));
            return {};
          },
          delete: (r: Req) => {
            const t = task(r);
            this.beforeTaskDelete?.(String(r.containerId));
            if (t.status === Status.RUNNING)
              throw new StatusError(status.FAILED_PRECONDITION, 'task must be stopped before deletion');
            this.tasks.delete(String(r.containerId));
            return { id: String(r.containerId), pid: t.pid, exitStatus: t.exitStatus, exitedAt: undefined };
          },
          get: (r: Req) => {
            const t = task(r);
            return {
              process: { id: String(r.containerId), pid: t.pid, status: t.status, exitStatus: t.exitStatus },
            };
          },
          closeIo: () => ({}),
          resizePty: () => ({}),
        },
      },
      containers: {
        definition: ContainersService,
        unary: {
          get: (r: Req) => {
            if (!this.containers.has(String(r.id)))
              throw new StatusError(status.NOT_FOUND, 'container not found');
            return { container: { id: String(r.id), labels: {}, extensions: {} } };
          },
          delete: (r: Req) => {
            this.containers.delete(String(r.id));
            return {};
          },
          list: () => ({
            containers: [...this.containers].map((id) => ({ id, labels: {}, extensions: {} })),
          }),
        },
      },
      snapshots: {
        definition: SnapshotsService,
        unary: { mounts: () => ({ mounts: [] }), remove: () => ({}) },
        streams: { list: () => [] },
      },
    });
  }

  /** The task of `id` exits with `code` (its FIFO writer closes, as a shim's would). */
  exit(id: string, code: number): void {
    const t = this.tasks.get(id);
    if (!t || t.status === Status.STOPPED) return;
    t.status = Status.STOPPED;
    t.exitStatus = code;
    for (const fd of t.fds.splice(0)) closeSync(fd);
    for (const w of t.waiters.splice(0)) w();
  }

  async start(): Promise<Connection> {
    await this.server.start();
    return new Connection({ address: this.server.address, namespace: 'moby' });
  }

  stop(): Promise<void> {
    for (const id of [...this.tasks.keys()]) this.exit(id, 137);
    return this.server.stop();
  }
}
