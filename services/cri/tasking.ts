// What pods and containers share: a containerd container (record + snapshot on the image's chain)
// with a task, in namespace k8s.io, over the containers, snapshots and tasks services' stores.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { isNotFound } from '../../api/errdefs.js';
import { Status } from '../../api/gen/containerd/types/task/task.js';
import type { ContainerStore } from '../containers/store.js';
import type { ProtoTimestamp } from '../metadata/time.js';
import type { SnapshotStore } from '../snapshots/store.js';
import type { TaskManager } from '../tasks/manager.js';
import { CRI_NS } from './images.js';
import type { OciSpec } from './spec.js';

export const SPEC_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Spec';
export const SNAPSHOTTER = 'overlayfs';

export function chainId(diffIds: string[]): string {
  let prev = '';
  for (const d of diffIds)
    prev = prev ? `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}` : d;
  return prev;
}

export const tsNanos = (t: ProtoTimestamp | undefined): number => (t ? t.seconds * 1e9 + t.nanos : 0);

export interface TaskIO {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

export class Tasking {
  constructor(
    readonly containers: ContainerStore,
    readonly snapshots: SnapshotStore,
    readonly tasks: TaskManager,
    readonly log: Logger,
  ) {}

  async createContainer(
    id: string,
    image: string,
    diffIds: string[],
    spec: OciSpec,
    labels: Record<string, string>,
  ): Promise<void> {
    await this.snapshots.prepare(CRI_NS, SNAPSHOTTER, id, chainId(diffIds), {});
    try {
      await this.containers.create(CRI_NS, {
        id,
        labels,
        image,
        runtime: { name: 'io.containerd.runc.v2' },
        spec: { typeUrl: SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(spec)) },
        snapshotter: SNAPSHOTTER,
        snapshotKey: id,
        extensions: {},
      });
    } catch (e) {
      await this.snapshots.remove(CRI_NS, SNAPSHOTTER, id).catch(() => undefined);
      throw e;
    }
  }

  async updateSpec(id: string, spec: OciSpec): Promise<void> {
    const c = await this.containers.get(CRI_NS, id);
    await this.containers.update(
      CRI_NS,
      { ...c, spec: { typeUrl: SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(spec)) } },
      ['spec'],
    );
  }

  async spec(id: string): Promise<OciSpec> {
    const c = await this.containers.get(CRI_NS, id);
    return JSON.parse(Buffer.from(c.spec!.value).toString('utf8')) as OciSpec;
  }

  /** Creates and starts the task; answers its pid. */
  async start(id: string, io: TaskIO): Promise<number> {
    const rootfs = await this.snapshots.mounts(CRI_NS, SNAPSHOTTER, id);
    await this.tasks.create(CRI_NS, { containerId: id, rootfs, ...io });
    try {
      return await this.tasks.start(CRI_NS, id, '');
    } catch (e) {
      await this.tasks.delete(CRI_NS, id).catch(() => undefined);
      throw e;
    }
  }

  running(id: string): Promise<{ pid: number } | undefined> {
    if (!this.tasks.has(CRI_NS, id)) return Promise.resolve(undefined);
    return this.tasks.state(CRI_NS, id, '').then(
      (s) => (s.status === Status.RUNNING || s.status === Status.PAUSED ? { pid: s.pid } : undefined),
      () => undefined,
    );
  }

  async wait(id: string): Promise<{ exitStatus: number; exitedAt: number }> {
    const r = await this.tasks.wait(CRI_NS, id, '');
    return { exitStatus: r.exitStatus, exitedAt: tsNanos(r.exitedAt) || Date.now() * 1e6 };
  }

  async kill(id: string, signal: number, all = false): Promise<void> {
    try {
      await this.tasks.kill(CRI_NS, id, '', signal, all);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Deletes the task if there is one (idempotent). */
  async deleteTask(id: string): Promise<void> {
    if (!this.tasks.has(CRI_NS, id)) return;
    try {
      await this.tasks.delete(CRI_NS, id);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Removes task, container record and snapshot, whichever exist. */
  async destroy(id: string): Promise<void> {
    await this.deleteTask(id);
    await this.containers.delete(CRI_NS, id).catch((e: unknown) => {
      if (!isNotFound(e)) throw e;
    });
    await this.snapshots.remove(CRI_NS, SNAPSHOTTER, id).catch((e: unknown) => {
      if (!isNotFound(e)) throw e;
    });
  }

  /** Kill with `signal`, then SIGKILL the whole container after `timeoutMs`; resolves once it exited. */
  async stop(id: string, signal: number, timeoutMs: number): Promise<void> {
    if (!(await this.running(id))) return;
    const exited = this.wait(id).then(
      () => true,
      () => true,
    );
    if (timeoutMs > 0) {
      await this.kill(id, signal);
      const t = await Promise.race([
        exited,
        new Promise<false>((r) => setTimeout(() => r(false), timeoutMs)),
      ]);
      if (t) return;
    }
    await this.kill(id, 9, true);
    await exited;
  }
}
