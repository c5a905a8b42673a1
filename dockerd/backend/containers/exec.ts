// docker exec: an exec instance is created (recorded here only), then started — a process in the
// running container's namespaces, with its own FIFOs, whose exit code is recorded before its
// output stream is closed, so `exec inspect` right after EOF sees it.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import {
  type Spec,
  applyOpts,
  currentCapabilities,
  readUserDb,
  withUser,
} from '../../../client/spec/index.js';
import { Conflict, InvalidParameter, NotFound } from '../../errdefs/index.js';
import { frame } from '../../wire/stdcopy.js';
import type { Engine } from '../engine.js';
import { escapeFilter, parseDetachKeys } from './attach.js';
import { RunIO, makeFifos, removeFifos } from '../run-io.js';
import type { ContainerRecord } from '../types.js';

export interface ExecConfig {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Env?: string[] | null;
  WorkingDir?: string;
  Cmd?: string[] | null;
}

export interface ExecInstance {
  ID: string;
  ContainerID: string;
  Config: ExecConfig;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  started: boolean;
  io?: RunIO;
  exited: Promise<number>;
  exitResolve: (code: number) => void;
}

export class ExecStore {
  private readonly execs = new Map<string, ExecInstance>();

  add(x: ExecInstance): void {
    this.execs.set(x.ID, x);
    void x.exited.then(() => this.forgetLater(x.ID));
  }

  get(id: string): ExecInstance {
    const x = this.execs.get(id);
    if (!x) throw new NotFound(`No such exec instance: ${id}`);
    return x;
  }

  forContainer(id: string): string[] {
    return [...this.execs.values()].filter((x) => x.ContainerID === id).map((x) => x.ID);
  }

  /** A finished exec stays inspectable for a while (clients read its exit code), then goes. */
  forgetLater(id: string, ms = 5 * 60_000): void {
    setTimeout(() => this.execs.delete(id), ms).unref();
  }

  dropContainer(id: string): void {
    for (const [k, x] of this.execs) if (x.ContainerID === id) this.execs.delete(k);
  }
}

export function createExec(e: Engine, execs: ExecStore, rec: ContainerRecord, cfg: ExecConfig): string {
  if (!rec.State.Running || rec.State.Restarting) throw new Conflict(`Container ${rec.Id} is not running`);
  if (rec.State.Paused)
    throw new Conflict(`Container ${rec.Id} is paused, unpause the container before exec`);
  if (!cfg.Cmd || cfg.Cmd.length === 0) throw new InvalidParameter('No exec command specified');
  const id = randomBytes(32).toString('hex');
  let exitResolve!: (code: number) => void;
  const exited = new Promise<number>((r) => (exitResolve = r));
  execs.add({
    ID: id,
    ContainerID: rec.Id,
    Config: cfg,
    Running: false,
    ExitCode: null,
    Pid: 0,
    started: false,
    exited,
    exitResolve,
  });
  e.containerEvent(rec, `exec_create: ${cfg.Cmd.join(' ')}`, { execID: id });
  return id;
}

async function processSpec(
  e: Engine,
  rec: ContainerRecord,
  cfg: ExecConfig,
): Promise<NonNullable<Spec['process']>> {
  const spec = await e.c.container(rec.Id).spec<Spec>();
  let s: Spec = {
    ...spec,
    process: {
      ...spec.process!,
      args: cfg.Cmd ?? [],
      env: [...(spec.process?.env ?? []), ...(cfg.Env ?? [])],
      cwd: cfg.WorkingDir || spec.process?.cwd || '/',
      terminal: cfg.Tty ?? false,
    },
  };
  if (cfg.Tty && !s.process!.env!.some((v) => v.startsWith('TERM='))) s.process!.env!.push('TERM=xterm');
  if (cfg.User) s = applyOpts(s, withUser(cfg.User, await readUserDb(`/proc/${rec.State.Pid}/root`)));
  // `docker exec --privileged`: every capability this daemon has (the container's seccomp filter stays).
  if (cfg.Privileged) {
    const all = await currentCapabilities();
    s.process!.capabilities = { bounding: all, effective: all, permitted: all };
  }
  return s.process!;
}

/** Starts the exec; `onStarted` gets its stdio so the caller can attach before output flows. */
export async function startExec(
  e: Engine,
  x: ExecInstance,
  rec: ContainerRecord,
  onStarted: (io: RunIO) => void,
): Promise<void> {
  if (x.started) throw new Conflict(`Error: Exec command ${x.ID} has already run`);
  if (!rec.State.Running) throw new Conflict(`Container ${rec.Id} is not running`);
  x.started = true;
  const cfg = x.Config;
  const fifos = await makeFifos(e.fifoDir(rec.Id), `exec-${x.ID.slice(0, 16)}`, {
    stdin: cfg.AttachStdin ?? false,
    tty: cfg.Tty ?? false,
  });
  const io = new RunIO(fifos, async () => {
    await e.c.task(rec.Id).closeStdin(x.ID);
  });
  io.openOutput();
  x.io = io;
  try {
    const proc = await processSpec(e, rec, cfg);
    await e.c.task(rec.Id).exec(x.ID, proc, {
      stdin: fifos.stdin,
      stdout: fifos.stdout,
      stderr: fifos.stderr,
      terminal: cfg.Tty ?? false,
    });
    if (fifos.stdin) io.openStdin();
    onStarted(io);
    x.Pid = await e.c.task(rec.Id).start(x.ID);
    x.Running = true;
  } catch (err) {
    io.close();
    removeFifos(fifos);
    x.ExitCode = 126;
    x.exitResolve(126);
    await e.c
      .task(rec.Id)
      .deleteProcess(x.ID)
      .catch(() => undefined);
    throw new Conflict(`OCI runtime exec failed: ${(err as Error).message}`);
  }
  e.containerEvent(rec, `exec_start: ${(cfg.Cmd ?? []).join(' ')}`, { execID: x.ID });
  void (async () => {
    let code = 255;
    try {
      const r = await e.c.task(rec.Id).wait(x.ID);
      code = r.exitStatus;
    } catch {
      // the container went away with it
    }
    // Recorded before the output closes: a client inspecting right after EOF sees the code.
    x.ExitCode = code;
    x.Running = false;
    await Promise.race([io.ended, new Promise((r) => setTimeout(r, 2000))]);
    io.close();
    removeFifos(fifos);
    await e.c
      .task(rec.Id)
      .deleteProcess(x.ID)
      .catch(() => undefined);
    e.containerEvent(rec, 'exec_die', { execID: x.ID, exitCode: String(code) });
    x.exitResolve(code);
  })();
}

export function execInspect(x: ExecInstance): Record<string, unknown> {
  const [entrypoint, ...args] = x.Config.Cmd ?? [];
  return {
    ID: x.ID,
    Running: x.Running,
    ExitCode: x.ExitCode,
    ProcessConfig: {
      tty: x.Config.Tty ?? false,
      entrypoint,
      arguments: args,
      privileged: x.Config.Privileged ?? false,
      ...(x.Config.User ? { user: x.Config.User } : {}),
    },
    OpenStdin: x.Config.AttachStdin ?? false,
    OpenStderr: x.Config.AttachStderr ?? false,
    OpenStdout: x.Config.AttachStdout ?? false,
    CanRemove: false,
    ContainerID: x.ContainerID,
    DetachKeys: x.Config.DetachKeys ?? '',
    Pid: x.Pid,
  };
}

/** exec start without Detach: the hijacked connection carries the exec's stdio until it exits. */
/**
 * Runs an exec attached to a hijacked connection. Output is framed by `frameTty`, the *start* body's
 * Tty (as dockerd does: docker-py starts a TTY exec with Tty false and reads multiplexed frames); the
 * detach keys follow the exec's own terminal.
 */
export async function attachExec(
  e: Engine,
  x: ExecInstance,
  rec: ContainerRecord,
  sock: Duplex,
  frameTty: boolean,
): Promise<void> {
  const tty = frameTty;
  const cfg = x.Config;
  const ownTty = cfg.Tty ?? false;
  try {
    await startExec(e, x, rec, (io) => {
      io.subscribe((stream, chunk) => {
        if ((stream === 'stdout' && !cfg.AttachStdout) || (stream === 'stderr' && !cfg.AttachStderr)) return;
        if (!sock.destroyed && !sock.writableEnded)
          sock.write(tty ? chunk : frame(stream === 'stdout' ? 1 : 2, chunk));
      });
      if (cfg.AttachStdin) {
        const filter = ownTty
          ? escapeFilter(parseDetachKeys(cfg.DetachKeys || 'ctrl-p,ctrl-q'), () => sock.end())
          : (b: Buffer) => b;
        sock.on('data', (b: Buffer) => {
          const d = filter(b);
          if (d.length > 0) io.writeStdin(d);
        });
        sock.on('end', () => io.closeStdin());
      } else {
        sock.on('data', () => undefined);
      }
    });
  } catch (err) {
    if (!sock.destroyed)
      sock.end(tty ? Buffer.from(`${(err as Error).message}\r\n`) : frame(3, `${(err as Error).message}\n`));
    return;
  }
  await x.exited;
  if (!sock.destroyed) sock.end();
}
