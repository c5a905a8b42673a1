// Tasks: one shim per container. The manager starts shims, forwards calls to them, and notices
// when one dies (its ttrpc connection closes): the task then reads STOPPED with status 255, its
// container is force-deleted and its mounts cleaned, and TaskExit is published.
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Mount } from '../../api/gen/containerd/types/mount.js';
import { Status } from '../../api/gen/containerd/types/task/task.js';
import type { Any } from '../../api/gen/google/protobuf/any.js';
import {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  isNotFound,
  notFound,
} from '../../api/errdefs.js';
import type { ContainerStore } from '../containers/store.js';
import type { Exchange } from '../events/exchange.js';
import { nowNanos, toProto, type ProtoTimestamp } from '../metadata/time.js';
import * as validate from '../validate/validate.js';
import { recordedState } from './recorded.js';
import type { ShimConnection, ShimLauncher } from './shims.js';

export interface ProcessState {
  id: string;
  pid: number;
  status: Status;
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  exitStatus: number;
  exitedAt: ProtoTimestamp;
}

interface TaskHandle {
  ns: string;
  id: string;
  conn?: ShimConnection;
  /** Set when the shim is gone: the status the task reports until it is deleted. */
  dead?: { status: number; at: bigint };
  /** The cleanup of a dead shim's container, awaited before the task is deleted. */
  cleanup?: Promise<void>;
  /** After a restart: settles once the shim is reconnected (or found dead). */
  ready?: Promise<void>;
  /** True until `ready` settles. */
  reconnecting?: boolean;
  pid: number;
}

export interface CreateTask {
  containerId: string;
  rootfs: Mount[];
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  options?: Any;
}

const k = (ns: string, id: string) => `${ns}\x00${id}`;

export class TaskManager {
  private readonly tasks = new Map<string, TaskHandle>();

  constructor(
    private readonly launcher: ShimLauncher,
    private readonly containers: ContainerStore,
    private readonly events: Exchange,
    private readonly log: Logger,
  ) {}

  has(ns: string, id: string): boolean {
    return this.tasks.has(k(ns, id));
  }

  private handle(ns: string, id: string): TaskHandle {
    validate.identifier('namespace', ns);
    const h = this.tasks.get(k(ns, id));
    if (!h) throw notFound(`task ${id} not found`);
    return h;
  }

  /** The task's handle once its shim has been found again (tasks are known before their shims answer). */
  private async settled(ns: string, id: string): Promise<TaskHandle> {
    const h = this.handle(ns, id);
    if (h.ready) {
      await h.ready;
      // Found without a task when its shim answered, and removed.
      if (this.tasks.get(k(ns, id)) !== h) throw notFound(`task ${id} not found`);
    }
    return h;
  }

  private async live(ns: string, id: string): Promise<ShimConnection> {
    const h = await this.settled(ns, id);
    if (!h.conn) throw failedPrecondition(`task ${id}: its shim is gone`);
    return h.conn;
  }

  private watch(h: TaskHandle): void {
    h.conn?.ttrpc.onClose(() => {
      if (!this.tasks.has(k(h.ns, h.id)) || h.dead) return;
      void this.onShimDied(h);
    });
  }

  private async onShimDied(h: TaskHandle): Promise<void> {
    const at = nowNanos();
    h.dead = { status: 255, at };
    h.conn = undefined;
    this.log.warn({ namespace: h.ns, container: h.id }, 'shim died; task reported stopped (255)');
    h.cleanup = this.launcher.cleanupDead(h.ns, h.id);
    await h.cleanup;
    this.events.publish(h.ns, '/tasks/exit', 'TaskExit', {
      containerId: h.id,
      id: h.id,
      pid: h.pid,
      exitStatus: 255,
      exitedAt: toProto(at),
    });
  }

  async create(ns: string, req: CreateTask): Promise<{ pid: number }> {
    validate.identifier('namespace', ns);
    const c = await this.containers.get(ns, req.containerId);
    if (this.tasks.has(k(ns, c.id))) throw alreadyExists(`task ${c.id}`);
    if (!c.spec) throw invalidArgument(`container ${c.id} has no spec`);
    const h: TaskHandle = { ns, id: c.id, pid: 0 };
    this.tasks.set(k(ns, c.id), h);
    try {
      const t0 = performance.now();
      const bundle = await this.launcher.makeBundle(ns, c.id, c.spec.value);
      const t1 = performance.now();
      h.conn = await this.launcher.start(c.runtime.name, ns, c.id);
      const t2 = performance.now();
      this.watch(h);
      const r = await h.conn.task.create({
        id: c.id,
        bundle,
        rootfs: req.rootfs,
        terminal: req.terminal,
        stdin: req.stdin,
        stdout: req.stdout,
        stderr: req.stderr,
        checkpoint: '',
        parentCheckpoint: '',
        options: req.options ?? c.runtime.options,
      });
      h.pid = r.pid;
      const ms = (a: number, b: number) => Math.round(b - a);
      this.log.debug(
        {
          namespace: ns,
          container: c.id,
          bundleMs: ms(t0, t1),
          shimMs: ms(t1, t2),
          createMs: ms(t2, performance.now()),
        },
        'task created',
      );
      return { pid: r.pid };
    } catch (e) {
      this.tasks.delete(k(ns, c.id));
      if (h.conn) {
        await h.conn.task.shutdown({ id: c.id, now: true }).catch(() => undefined);
        h.conn.ttrpc.close().catch(() => undefined);
      }
      await this.launcher.removeBundle(ns, c.id).catch(() => undefined);
      throw e;
    }
  }

  async state(ns: string, id: string, execId: string): Promise<ProcessState> {
    const h = await this.settled(ns, id);
    if (h.dead) {
      if (execId) throw notFound(`process ${execId} does not exist`);
      return {
        id,
        pid: h.pid,
        status: Status.STOPPED,
        stdin: '',
        stdout: '',
        stderr: '',
        terminal: false,
        exitStatus: h.dead.status,
        exitedAt: toProto(h.dead.at),
      };
    }
    const s = await (await this.live(ns, id)).task.state({ id, execId });
    return {
      id: execId || id,
      pid: s.pid,
      status: s.status,
      stdin: s.stdin,
      stdout: s.stdout,
      stderr: s.stderr,
      terminal: s.terminal,
      exitStatus: s.exitStatus,
      exitedAt: s.exitedAt ?? toProto(0n),
    };
  }

  async list(ns: string): Promise<ProcessState[]> {
    validate.identifier('namespace', ns);
    // Every shim asked at once: one round trip for the whole list, not one per task. Right after a
    // restart, a task whose shim is still being reconnected answers from what its bundle records.
    const states = await Promise.all(
      [...this.tasks.values()]
        .filter((h) => h.ns === ns)
        .map((h) =>
          (this.fromRecord(h) ?? this.state(ns, h.id, '')).catch((e: unknown) => {
            this.log.warn({ err: e, namespace: ns, container: h.id }, 'task state unavailable');
            return undefined;
          }),
        ),
    );
    return states.filter((st): st is ProcessState => st !== undefined);
  }

  private fromRecord(h: TaskHandle): Promise<ProcessState> | undefined {
    if (!h.reconnecting) return undefined;
    const r = recordedState(this.launcher.bundleDir(h.ns, h.id));
    if (!r) return undefined;
    return Promise.resolve({
      id: h.id,
      pid: r.pid,
      status: r.status,
      stdin: '',
      stdout: '',
      stderr: '',
      terminal: false,
      exitStatus: r.exitStatus,
      exitedAt: toProto(r.exitedAt),
    });
  }

  async start(ns: string, id: string, execId: string): Promise<number> {
    return (await (await this.live(ns, id)).task.start({ id, execId })).pid;
  }

  async wait(
    ns: string,
    id: string,
    execId: string,
  ): Promise<{ exitStatus: number; exitedAt: ProtoTimestamp }> {
    const h = await this.settled(ns, id);
    if (h.dead) return { exitStatus: h.dead.status, exitedAt: toProto(h.dead.at) };
    try {
      const r = await h.conn!.task.wait({ id, execId });
      return { exitStatus: r.exitStatus, exitedAt: r.exitedAt ?? toProto(0n) };
    } catch (e) {
      const dead = (h as TaskHandle).dead;
      if (dead) return { exitStatus: dead.status, exitedAt: toProto(dead.at) };
      throw e;
    }
  }

  async kill(ns: string, id: string, execId: string, signal: number, all: boolean): Promise<void> {
    const h = await this.settled(ns, id);
    if (h.dead) throw notFound('process already finished');
    await h.conn!.task.kill({ id, execId, signal, all });
  }

  async exec(
    ns: string,
    id: string,
    execId: string,
    req: { stdin: string; stdout: string; stderr: string; terminal: boolean; spec?: Any },
  ): Promise<void> {
    if (!execId) throw invalidArgument('exec id must not be empty');
    validate.identifier('exec', execId);
    await (
      await this.live(ns, id)
    ).task.exec({
      id,
      execId,
      terminal: req.terminal,
      stdin: req.stdin,
      stdout: req.stdout,
      stderr: req.stderr,
      spec: req.spec,
    });
  }

  async deleteProcess(
    ns: string,
    id: string,
    execId: string,
  ): Promise<{ pid: number; exitStatus: number; exitedAt: ProtoTimestamp }> {
    const r = await (await this.live(ns, id)).task.delete({ id, execId });
    return { pid: r.pid, exitStatus: r.exitStatus, exitedAt: r.exitedAt ?? toProto(0n) };
  }

  async delete(
    ns: string,
    id: string,
  ): Promise<{ pid: number; exitStatus: number; exitedAt: ProtoTimestamp }> {
    const h = await this.settled(ns, id);
    let result: { pid: number; exitStatus: number; exitedAt: ProtoTimestamp };
    if (h.dead) {
      await h.cleanup;
      result = { pid: h.pid, exitStatus: h.dead.status, exitedAt: toProto(h.dead.at) };
      this.events.publish(ns, '/tasks/delete', 'TaskDelete', {
        containerId: id,
        id,
        pid: h.pid,
        exitStatus: h.dead.status,
        exitedAt: toProto(h.dead.at),
      });
    } else {
      const conn = h.conn!;
      try {
        const r = await conn.task.delete({ id, execId: '' });
        result = { pid: r.pid, exitStatus: r.exitStatus, exitedAt: r.exitedAt ?? toProto(0n) };
      } catch (e) {
        // The shim deleted its task already: a delete that a kill of this daemon cut short before
        // the shim was shut down and the bundle removed. Finish it, or shim and bundle stay forever.
        if (!isNotFound(e)) throw e;
        this.log.warn(
          { namespace: ns, container: id },
          'task already deleted in its shim; finishing the delete',
        );
        result = { pid: h.pid, exitStatus: 255, exitedAt: toProto(nowNanos()) };
      }
      this.tasks.delete(k(ns, id));
      await conn.task.shutdown({ id, now: false }).catch(() => undefined);
      await conn.ttrpc.close().catch(() => undefined);
    }
    this.tasks.delete(k(ns, id));
    await this.launcher.removeBundle(ns, id);
    return result;
  }

  async closeIO(ns: string, id: string, execId: string, stdin: boolean): Promise<void> {
    await (await this.live(ns, id)).task.closeIo({ id, execId, stdin });
  }

  async resize(ns: string, id: string, execId: string, width: number, height: number): Promise<void> {
    await (await this.live(ns, id)).task.resizePty({ id, execId, width, height });
  }

  async pause(ns: string, id: string): Promise<void> {
    await (await this.live(ns, id)).task.pause({ id });
  }

  async resume(ns: string, id: string): Promise<void> {
    await (await this.live(ns, id)).task.resume({ id });
  }

  async pids(ns: string, id: string): Promise<Array<{ pid: number }>> {
    return (await (await this.live(ns, id)).task.pids({ id })).processes.map((p) => ({ pid: p.pid }));
  }

  /** Metrics of the named tasks (all in the namespace when `ids` is empty). */
  async metrics(ns: string, ids: string[]): Promise<Array<{ id: string; data: Any }>> {
    validate.identifier('namespace', ns);
    const picked = [...this.tasks.values()].filter(
      (h) => h.ns === ns && (ids.length === 0 || ids.includes(h.id)),
    );
    const stats = await Promise.all(
      picked.map(async (h) => {
        if (h.ready) await h.ready;
        const r = await h.conn?.task.stats({ id: h.id }).catch(() => undefined);
        return r?.stats ? { id: h.id, data: r.stats } : undefined;
      }),
    );
    return stats.filter((x): x is { id: string; data: Any } => x !== undefined);
  }

  async update(
    ns: string,
    id: string,
    resources: Any | undefined,
    annotations: Record<string, string>,
  ): Promise<void> {
    await (await this.live(ns, id)).task.update({ id, resources, annotations });
  }

  /**
   * At start: reconnect to every shim recorded under state, all at once, with short timeouts.
   * Shims that do not answer are treated as dead (tombstone STOPPED 255, cleaned up). The tasks are
   * registered before this returns its promise, so calls made meanwhile wait for their own shim only.
   */
  async recover(): Promise<{ live: number; dead: number; gone: number }> {
    let live = 0;
    let dead = 0;
    let gone = 0;
    const found = this.launcher.bundles().map(({ ns, id }) => {
      const h: TaskHandle = { ns, id, pid: 0, reconnecting: true };
      this.tasks.set(k(ns, id), h);
      return h;
    });
    await Promise.all(
      found.map((h) => {
        const { ns, id } = h;
        h.ready = (async () => {
          try {
            const file = `${this.launcher.bundleDir(ns, id)}/address`;
            if (existsSync(file)) {
              h.conn = await this.launcher.connect(readFileSync(file, 'utf8').trim(), 2000);
            } else {
              // Killed while this shim booted: it may still come up where shims listen.
              const address = this.launcher.expectedAddress(ns, id);
              for (let i = 0; !h.conn; i++) {
                h.conn = await this.launcher.connect(address, 2000).catch((e: unknown) => {
                  if (i >= 30) throw e;
                  return new Promise<undefined>((r) => setTimeout(() => r(undefined), 100));
                });
              }
            }
            const c = await h.conn.task.connect({ id }, { timeoutMs: 2000 });
            if (c.taskPid === 0) {
              // The shim holds no task: a delete that a kill cut short after the shim deleted it,
              // or a create cut short before runc made it. Nobody can use this shim: finish it.
              await this.discardTaskless(h);
              gone++;
              return;
            }
            h.pid = c.taskPid;
            this.watch(h);
            live++;
          } catch {
            h.conn?.ttrpc.close().catch(() => undefined);
            h.conn = undefined;
            // A shim that runs but cannot be reached would outlive its task forever.
            this.launcher.killStray(ns, id);
            await this.onShimDied(h);
            dead++;
          } finally {
            h.reconnecting = false;
          }
        })();
        return h.ready;
      }),
    );
    return { live, dead, gone };
  }

  /** A reconnected shim without a task: shut it down, undo whatever runc left, drop the bundle. */
  private async discardTaskless(h: TaskHandle): Promise<void> {
    const conn = h.conn;
    h.conn = undefined;
    this.tasks.delete(k(h.ns, h.id));
    this.log.warn({ namespace: h.ns, container: h.id }, 'shim without a task after a restart; removed');
    await conn?.task.shutdown({ id: h.id, now: true }).catch(() => undefined);
    await conn?.ttrpc.close().catch(() => undefined);
    this.launcher.killStray(h.ns, h.id);
    await this.launcher.cleanupDead(h.ns, h.id);
    await this.launcher.removeBundle(h.ns, h.id);
  }
}
