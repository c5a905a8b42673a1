// containerd.task.v2.Task for one container: runc does the work, this keeps the state. Exits are
// found by reaping our own pids (we are the subreaper), never with waitpid(-1).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { TaskService, type StateResponse } from '../api/gen/containerd/runtime/task/v2/shim.js';
import { Status } from '../api/gen/containerd/types/task/task.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../api/errdefs.js';
import type { ServiceImplementation } from '../api/ttrpc/index.js';
import type { EventForwarder } from './events.js';
import { ConsoleSocket, resizePty } from './console.js';
import { openIO, openTerminalIO } from './io.js';
import { type Exit, Proc } from './process.js';
import { Runc } from './runc.js';
import { MNT_DETACH, mountSyscall, umount } from '../pkg/sys/mount.js';
import { reap } from '../pkg/sys/process.js';
import { cgroupStats, oomKills } from './stats.js';

const run = promisify(execFile);

const statusOf: Record<Proc['status'], Status> = {
  created: Status.CREATED,
  running: Status.RUNNING,
  stopped: Status.STOPPED,
  paused: Status.PAUSED,
};

const ts = (n: bigint | undefined) =>
  n === undefined ? undefined : { seconds: Number(n / 1_000_000_000n), nanos: Number(n % 1_000_000_000n) };

export interface ShimContext {
  id: string;
  /** Where console sockets go (short paths: unix socket names are limited). */
  socketDir: string;
  namespace: string;
  bundle: string;
  runcBinary: string;
  runcRoot: string;
  events: Pick<EventForwarder, 'publish'>;
  /** Called when the task is deleted and the shim may go. */
  shutdown(): void;
}

export class ShimTask {
  init: Proc | undefined;
  readonly execs = new Map<string, Proc>();
  readonly runc: Runc;
  private rootfsMounted = false;

  constructor(private readonly c: ShimContext) {
    this.runc = new Runc({ binary: c.runcBinary, root: c.runcRoot, bundle: c.bundle, id: c.id });
  }

  private proc(execId: string): Proc {
    const p = execId ? this.execs.get(execId) : this.init;
    if (!p) throw notFound(execId ? `process ${execId} does not exist` : `task ${this.c.id} not found`);
    return p;
  }

  /** Inits being started: an exit reaped meanwhile is announced after TaskStart, as containerd does. */
  private readonly starting = new Map<Proc, Array<() => void>>();

  private oomSeen = 0;
  private cgroupsPath: string | undefined;

  /**
   * Publishes /tasks/oom when the container's cgroup counts a new OOM kill. Polled with the exit
   * check (at most a second late), and once more when the init exits.
   */
  checkOom(): void {
    if (!this.init) return;
    if (this.cgroupsPath === undefined) {
      try {
        const spec = JSON.parse(readFileSync(path.join(this.c.bundle, 'config.json'), 'utf8')) as {
          linux?: { cgroupsPath?: string };
        };
        this.cgroupsPath = spec.linux?.cgroupsPath ?? `/${this.c.namespace}/${this.c.id}`;
      } catch {
        return;
      }
    }
    const n = oomKills(this.cgroupsPath);
    if (n > this.oomSeen) {
      this.oomSeen = n;
      this.c.events.publish('/tasks/oom', 'TaskOOM', { containerId: this.c.id });
    }
  }

  /** Looks for exits of every process we track (on SIGCHLD, and on a slow timer as a safety net). */
  checkExits(): void {
    for (const p of [this.init, ...this.execs.values()]) {
      if (!p || p.exit || p.pid === 0) continue;
      const status = reap(p.pid);
      if (status === undefined) continue;
      this.onExit(p, status);
    }
  }

  private onExit(p: Proc, status: number): void {
    if (!p.execId) this.checkOom();
    const e = p.exited(status);
    p.io?.afterExit();
    const publish = () =>
      this.c.events.publish('/tasks/exit', 'TaskExit', {
        containerId: this.c.id,
        id: p.execId || this.c.id,
        pid: p.pid,
        exitStatus: e.status,
        exitedAt: ts(e.at),
      });
    const held = this.starting.get(p);
    if (held) held.push(publish);
    else publish();
    // With the init gone, execs still running in its namespaces are killed by the kernel (pid ns).
  }

  private async mountRootfs(
    mounts: Array<{ type: string; source: string; options: string[] }>,
  ): Promise<void> {
    if (mounts.length === 0) return;
    const target = path.join(this.c.bundle, 'rootfs');
    mkdirSync(target, { recursive: true });
    for (const m of mounts) {
      try {
        // One syscall: spawning mount(8) costs a process per container start.
        mountSyscall(m, target);
        continue;
      } catch {
        // fall back to mount(8), whose errors say more
      }
      if (m.type === 'bind') {
        await run('mount', ['--rbind', m.source, target]);
        if (m.options.includes('ro')) await run('mount', ['-o', 'remount,bind,ro', target]);
      } else {
        await run('mount', ['-t', m.type, m.source, target, '-o', m.options.join(',')]);
      }
    }
    this.rootfsMounted = true;
  }

  private async unmountRootfs(): Promise<void> {
    if (!this.rootfsMounted) return;
    const target = path.join(this.c.bundle, 'rootfs');
    try {
      // One syscall: spawning umount(8) cost a process per container delete.
      umount(target, MNT_DETACH);
    } catch {
      await run('umount', ['-l', target]).catch(() => undefined);
    }
    this.rootfsMounted = false;
  }

  /**
   * Runs a runc command that starts a process with the right stdio: the client's FIFOs, or a
   * terminal whose master runc hands over on a console socket.
   */
  private async withIO(
    p: Proc,
    fn: (stdio: Array<number | 'ignore'>, consoleSocket?: string) => Promise<void>,
  ): Promise<void> {
    if (!p.terminal) {
      // An exec's FIFOs are opened at Exec already: the client may block opening stdin until we do.
      p.io ??= openIO(p.stdin, p.stdout, p.stderr);
      try {
        await fn(p.io.stdio);
      } catch (e) {
        p.io.close();
        throw e;
      }
      p.io.afterStart();
      return;
    }
    const console = new ConsoleSocket(this.c.socketDir);
    await console.listen();
    try {
      await fn(['ignore', 'ignore', 'ignore'], console.path);
      p.master = await console.receive();
    } finally {
      console.close();
    }
    p.io = openTerminalIO(p.master, p.stdin, p.stdout);
  }

  service(): Partial<ServiceImplementation<typeof TaskService>> {
    return {
      create: async (req) => {
        if (this.init) throw alreadyExists(`task ${req.id}`);
        const p = new Proc(
          req.id,
          '',
          req.bundle || this.c.bundle,
          req.stdin,
          req.stdout,
          req.stderr,
          req.terminal,
        );
        await this.mountRootfs(req.rootfs);
        const pidFile = path.join(this.c.bundle, 'init.pid');
        try {
          await this.withIO(p, (stdio, consoleSocket) => this.runc.create(pidFile, stdio, { consoleSocket }));
        } catch (e) {
          await this.unmountRootfs();
          throw e;
        }
        p.pid = Number(readFileSync(pidFile, 'utf8').trim());
        this.init = p;
        this.c.events.publish('/tasks/create', 'TaskCreate', {
          containerId: req.id,
          bundle: this.c.bundle,
          rootfs: req.rootfs,
          io: { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal },
          pid: p.pid,
        });
        this.checkExits();
        return { pid: p.pid };
      },

      start: async (req) => {
        const p = this.proc(req.execId);
        if (p.status !== 'created')
          throw failedPrecondition(`process ${req.execId || req.id} is not in the created state`);
        if (!req.execId) {
          this.starting.set(p, []);
          try {
            if (!(await this.runc.startViaFifo(p.pid))) await this.runc.start();
            p.status = p.exit ? 'stopped' : 'running';
            this.c.events.publish('/tasks/start', 'TaskStart', { containerId: this.c.id, pid: p.pid });
          } finally {
            const held = this.starting.get(p) ?? [];
            this.starting.delete(p);
            for (const publish of held) publish();
          }
        } else {
          const pidFile = path.join(this.c.bundle, `${req.execId}.pid`);
          const specFile = path.join(this.c.bundle, `${req.execId}.process.json`);
          await this.withIO(p, (stdio, consoleSocket) =>
            this.runc.exec(specFile, pidFile, stdio, consoleSocket),
          );
          p.pid = Number(readFileSync(pidFile, 'utf8').trim());
          p.status = 'running';
          this.c.events.publish('/tasks/exec-started', 'TaskExecStarted', {
            containerId: this.c.id,
            execId: req.execId,
            pid: p.pid,
          });
          this.checkExits();
        }
        return { pid: p.pid };
      },

      exec: async (req) => {
        if (!this.init) throw notFound(`task ${req.id} not found`);
        if (this.execs.has(req.execId)) throw alreadyExists(`id ${req.execId}`);
        if (!req.execId) throw invalidArgument('exec id must not be empty');
        if (!req.spec) throw invalidArgument('exec process spec is required');
        writeFileSync(path.join(this.c.bundle, `${req.execId}.process.json`), req.spec.value);
        const p = new Proc(
          req.id,
          req.execId,
          this.c.bundle,
          req.stdin,
          req.stdout,
          req.stderr,
          req.terminal,
        );
        p.io = openIO(req.stdin, req.stdout, req.stderr);
        this.execs.set(req.execId, p);
        this.c.events.publish('/tasks/exec-added', 'TaskExecAdded', {
          containerId: this.c.id,
          execId: req.execId,
        });
        return {};
      },

      state: async (req): Promise<StateResponse> => {
        const p = this.proc(req.execId);
        return {
          id: p.execId || this.c.id,
          bundle: this.c.bundle,
          pid: p.pid,
          status: statusOf[p.status],
          stdin: p.stdin,
          stdout: p.stdout,
          stderr: p.stderr,
          terminal: p.terminal,
          exitStatus: p.exit?.status ?? 0,
          exitedAt: ts(p.exit?.at),
          execId: p.execId,
        };
      },

      wait: async (req) => {
        const e: Exit = await this.proc(req.execId).wait();
        return { exitStatus: e.status, exitedAt: ts(e.at) };
      },

      kill: async (req) => {
        const p = this.proc(req.execId);
        if (p.exit && !req.all) throw notFound('process already finished');
        if (!req.execId) await this.runc.kill(req.signal, req.all);
        else process.kill(p.pid, req.signal);
        return {};
      },

      delete: async (req) => {
        const p = this.proc(req.execId);
        if (req.execId) {
          if (!p.exit) throw failedPrecondition(`cannot delete a running process: ${req.execId}`);
          this.execs.delete(req.execId);
          p.io?.close();
          return { pid: p.pid, exitStatus: p.exit.status, exitedAt: ts(p.exit.at) };
        }
        if (p.status === 'running' || p.status === 'paused')
          throw failedPrecondition(`task ${this.c.id} must be stopped before deletion: ${p.status}`);
        await this.runc.delete(true).catch(() => undefined);
        await this.unmountRootfs();
        p.io?.close();
        const exit = p.exit ?? { status: 0, at: BigInt(Date.now()) * 1_000_000n };
        this.init = undefined;
        this.c.events.publish('/tasks/delete', 'TaskDelete', {
          containerId: this.c.id,
          pid: p.pid,
          exitStatus: exit.status,
          exitedAt: ts(exit.at),
          id: this.c.id,
        });
        return { pid: p.pid, exitStatus: exit.status, exitedAt: ts(exit.at) };
      },

      pids: async () => {
        const pids = await this.runc.ps();
        return { processes: pids.map((pid) => ({ pid, info: undefined })) };
      },

      pause: async () => {
        await this.runc.pause();
        if (this.init) this.init.status = 'paused';
        this.c.events.publish('/tasks/paused', 'TaskPaused', { containerId: this.c.id });
        return {};
      },

      resume: async () => {
        await this.runc.resume();
        if (this.init && !this.init.exit) this.init.status = 'running';
        this.c.events.publish('/tasks/resumed', 'TaskResumed', { containerId: this.c.id });
        return {};
      },

      closeIo: async (req) => {
        if (req.stdin) this.proc(req.execId).io?.closeStdin();
        return {};
      },

      resizePty: async (req) => {
        const p = this.proc(req.execId);
        if (p.master === undefined)
          throw failedPrecondition(`process ${req.execId || req.id} has no terminal`);
        resizePty(p.master, req.width, req.height);
        return {};
      },

      update: async (req) => {
        if (!req.resources) throw invalidArgument('resources are required');
        await this.runc.update(Buffer.from(req.resources.value).toString());
        return {};
      },

      stats: async () => {
        if (!this.init) throw notFound(`task ${this.c.id} not found`);
        const spec = JSON.parse(readFileSync(path.join(this.c.bundle, 'config.json'), 'utf8')) as {
          linux?: { cgroupsPath?: string };
        };
        return { stats: await cgroupStats(spec.linux?.cgroupsPath ?? `/${this.c.namespace}/${this.c.id}`) };
      },

      connect: async () => ({ shimPid: process.pid, taskPid: this.init?.pid ?? 0, version: 'tsctr-shim 1' }),

      shutdown: async (req) => {
        if (this.init && !req.now) return {};
        setImmediate(() => this.c.shutdown());
        return {};
      },
    };
  }

  /** After a restart of the shim itself nothing is known; a stale exit file still tells the status. */
  static lastExit(bundle: string, execId = ''): Exit | undefined {
    const f = path.join(bundle, `exit-${execId || 'init'}.json`);
    if (!existsSync(f)) return undefined;
    const j = JSON.parse(readFileSync(f, 'utf8')) as { status: number; at: string };
    return { status: j.status, at: BigInt(j.at) };
  }
}
