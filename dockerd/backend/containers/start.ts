// Starting a container: its stdio FIFOs (read ends open first), its json-file log, its sandbox made
// ready by the lifecycle hooks (the network namespace), a task in tsctrd on the rootfs snapshot, then
// the process runs. The exit is awaited from then on (see exit.ts).
import { isAlreadyExists } from '../../../api/errdefs.js';
import { Conflict, DockerError, InvalidParameter, NotModified, SystemError } from '../../errdefs/index.js';
import { JsonFileLogger, parseLogOpts } from '../../logs/jsonfile-writer.js';
import type { Engine, Runtime } from '../engine.js';
import { RunIO, makeFifos } from '../run-io.js';
import { specOf } from '../../../client/services/containers.js';
import type { Spec } from '../../../client/spec/index.js';
import type { ContainerRecord } from '../types.js';
import { watchExit } from './exit.js';
import { probeArgs } from './health.js';
import { autoRemove } from './remove.js';

export function nowRfc3339(): string {
  const ns = process.hrtime.bigint() % 1_000_000n;
  return new Date().toISOString().replace('Z', `${String(ns).padStart(6, '0')}Z`);
}

/** Runtime errors keep the words the docker CLI maps to exit codes 127 and 126. */
export function startError(message: string): { error: Error; exitCode: number } {
  const m = `failed to create task for container: ${message}`;
  if (
    /executable file not found|no such file or directory|system cannot find the file specified/.test(message)
  ) {
    return { error: new InvalidParameter(m), exitCode: 127 };
  }
  if (/permission denied|is a directory/.test(message))
    return { error: new InvalidParameter(m), exitCode: 126 };
  return { error: new SystemError(m), exitCode: 128 };
}

/** Attaches the json-file logger and the run's output to each other. */
export function wireLogger(rec: ContainerRecord, rt: Runtime, io: RunIO): void {
  if (!rec.LogPath) return;
  const opts = parseLogOpts(rec.HostConfig.LogConfig?.Config ?? {});
  const logger = new JsonFileLogger({ path: rec.LogPath, ...opts });
  rt.logger = logger;
  io.subscribe((stream, chunk) => logger.write(stream, chunk));
  void io.ended.then(() => logger.close());
}

export async function startContainer(
  e: Engine,
  rec: ContainerRecord,
  opts: { restarting?: boolean } = {},
): Promise<void> {
  const rt = e.runtime(rec.Id);
  return rt.serial(async () => {
    if (rec.State.Running && !rec.State.Restarting) {
      if (rec.State.Paused) throw new Conflict('cannot start a paused container, try unpause instead');
      throw new NotModified();
    }
    if (rt.removing || !e.store.has(rec.Id))
      throw new Conflict(`container is marked for removal and cannot be started`);
    if (rt.restartTimer && !opts.restarting) {
      clearTimeout(rt.restartTimer);
      rt.restartTimer = undefined;
    }
    const t0 = performance.now();
    const lap = (step: string) =>
      e.log.debug({ id: rec.Id, step, ms: Math.round(performance.now() - t0) }, 'start');
    const cfg = rec.Config;
    const withStdin = cfg.OpenStdin ?? false;
    const fifos = await makeFifos(e.fifoDir(rec.Id), 'init', { stdin: withStdin, tty: cfg.Tty ?? false });
    const io = new RunIO(fifos, async () => {
      await e.c.task(rec.Id).closeStdin();
    });
    io.openOutput();
    wireLogger(rec, rt, io);
    // A task left from an earlier run (its exit not yet collected) goes first; a new container has none.
    const prepared = Promise.all([
      e.c.snapshotter().mounts(rec.Id),
      rec.HasBeenStarted
        ? e.c
            .task(rec.Id)
            .delete()
            .catch(() => undefined)
        : undefined,
    ]);
    let mounts;
    try {
      [mounts] = await prepared;
    } catch (err) {
      // tsctrd unreachable (restarting): nothing was made; an auto-remove container still goes,
      // as after any failed start (the CLI's `run --rm` waits for that).
      io.close();
      if (rec.HostConfig.AutoRemove) void autoRemove(e, rec);
      throw err;
    }
    lap('prepared');
    let pid: number;
    let sandboxReady = false;
    try {
      await rt.exitHooks;
      const edits = await e.lifecycle.sandbox(rec);
      sandboxReady = true;
      if (edits.length > 0) await editStoredSpec(e, rec.Id, edits);
      lap('sandbox');
      pid = await e.c.task(rec.Id).create({
        rootfs: mounts,
        stdin: fifos.stdin,
        stdout: fifos.stdout,
        stderr: fifos.stderr,
        terminal: cfg.Tty ?? false,
      });
      lap('task created');
      if (withStdin) io.openStdin();
      rt.run = io;
      if (cfg.Tty) {
        const [h, w] = rec.HostConfig.ConsoleSize ?? [0, 0];
        if (h > 0 && w > 0) {
          await e.c
            .task(rec.Id)
            .resizePty(w, h)
            .catch(() => undefined);
        }
      }
      // Input sent before the run existed (attach comes before start).
      for (const b of rt.pendingStdin.splice(0)) io.writeStdin(b);
      if (rt.pendingStdinClosed) {
        rt.pendingStdinClosed = false;
        io.closeStdin();
      }
      rt.emitter.emit('start', io);
      await e.c.task(rec.Id).start();
      lap('task started');
    } catch (err) {
      io.close();
      rt.run = undefined;
      await e.c
        .task(rec.Id)
        .delete()
        .catch(() => undefined);
      if (isAlreadyExists(err)) throw new Conflict(`container ${rec.Id} is already running`);
      // The sandbox's own errors (a port already allocated, an IP on the default bridge) are dockerd's
      // texts and kinds as they are; only the runtime's get the task prefix.
      const { error, exitCode } =
        !sandboxReady && err instanceof DockerError
          ? { error: err, exitCode: 128 }
          : startError((err as Error).message);
      rec.State = {
        ...rec.State,
        Status: rec.HasBeenStarted ? 'exited' : 'created',
        Running: false,
        Restarting: false,
        ExitCode: exitCode,
        Error: error.message,
        Pid: 0,
      };
      e.store.save(rec);
      rt.exitHooks = e.lifecycle.exited(rec, { code: exitCode, ranMs: 0, startFailed: true });
      rt.emitter.emit('exit', exitCode);
      await rt.exitHooks;
      if (rec.HostConfig.AutoRemove) void autoRemove(e, rec);
      throw error;
    }
    rec.State = {
      ...rec.State,
      Status: 'running',
      Running: true,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: pid,
      ExitCode: 0,
      Error: '',
      StartedAt: nowRfc3339(),
      ...(probeArgs(cfg.Healthcheck) ? { Health: { Status: 'starting', FailingStreak: 0, Log: [] } } : {}),
    };
    rec.HasBeenStarted = true;
    rec.ManuallyStopped = false;
    e.store.save(rec);
    e.containerEvent(rec, 'start');
    watchExit(e, rec);
    await e.lifecycle.started(rec);
  });
}

/** Applies the sandbox hooks' edits to the OCI spec tsctrd holds for the container. */
async function editStoredSpec(e: Engine, id: string, edits: Array<(s: Spec) => Spec>): Promise<void> {
  const handle = e.c.container(id);
  const container = await handle.get();
  await handle.setSpec(
    container,
    edits.reduce((s, edit) => edit(s), specOf<Spec>(container)),
  );
}
