// Live restore, always on: at startup every recorded container is matched with its task in tsctrd.
// Running ones get their stdio FIFOs reopened (output written meanwhile waits in the pipes), their
// logs continued and their exit awaited; ones that died while we were away have the exit recorded.
// The lifecycle hooks are told what was found (health checks resume, sandboxes of stopped containers
// go, the restart policy applies).
import { isNotFound } from '../../../api/errdefs.js';
import { dropOrphanLeases } from '../../../client/images/owned-leases.js';
import { type Process, Status } from '../../../api/gen/containerd/types/task/task.js';
import type { Engine } from '../engine.js';
import { clearCommitPause, commitPaused, watchLatePause } from '../images/commit-pause.js';
import { RunIO, makeFifos } from '../run-io.js';
import type { ContainerRecord } from '../types.js';
import { handleExit, watchExit } from './exit.js';
import { autoRemove, sweepOrphans } from './remove.js';
import { nowRfc3339, wireLogger } from './start.js';

/**
 * What tsctrd holds for a record: its container (false: none) and task. Asked again for a few seconds
 * when tsctrd does not answer (restarting too): a record never looked at would stay as it was —
 * a container waiting to restart would wait forever.
 */
async function lookup(
  e: Engine,
  rec: ContainerRecord,
): Promise<{ exists: boolean; proc: Process | undefined }> {
  for (let attempt = 1; ; attempt++) {
    try {
      try {
        await e.c.container(rec.Id).get();
      } catch (err) {
        if (isNotFound(err)) return { exists: false, proc: undefined };
        throw err;
      }
      try {
        return { exists: true, proc: await e.c.task(rec.Id).get() };
      } catch (err) {
        if (isNotFound(err)) return { exists: true, proc: undefined };
        throw err;
      }
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function restoreOne(e: Engine, rec: ContainerRecord): Promise<void> {
  const found = await lookup(e, rec);
  // A record whose tsctrd container was never made: a create cut short by a crash. It never existed
  // for a client (create had not answered), so it goes, with what it had made.
  if (!found.exists) {
    for (const m of rec.Mounts) if (m.anonymous && m.Name) e.volumes.remove(m.Name, true);
    e.store.remove(rec.Id);
    return;
  }
  let proc = found.proc;
  // A commit cut short left the task paused: it is resumed, not reported as a user's pause.
  if (commitPaused(e, rec.Id)) {
    if (proc?.status === Status.PAUSED) {
      await e.c.task(rec.Id).resume();
      proc = await e.c.task(rec.Id).get();
    }
    // The pause may not have landed yet: watched for a while (the mark goes when the watch ends).
    if (proc) watchLatePause(e, rec.Id);
    else clearCommitPause(e, rec.Id);
  }
  const rt = e.runtime(rec.Id);
  const alive =
    proc &&
    (proc.status === Status.RUNNING || proc.status === Status.PAUSED || proc.status === Status.PAUSING);
  if (alive) {
    const fifos = await makeFifos(e.fifoDir(rec.Id), 'init', {
      stdin: rec.Config.OpenStdin ?? false,
      tty: rec.Config.Tty ?? false,
    });
    const io = new RunIO(fifos, async () => {
      await e.c.task(rec.Id).closeStdin();
    });
    io.openOutput();
    wireLogger(rec, rt, io);
    if (fifos.stdin) io.openStdin();
    rt.run = io;
    const paused = proc!.status !== Status.RUNNING;
    if (!rec.State.Running || rec.State.Pid !== proc!.pid || rec.State.Paused !== paused) {
      rec.State = {
        ...rec.State,
        Status: paused ? 'paused' : 'running',
        Running: true,
        Paused: paused,
        Restarting: false,
        Pid: proc!.pid,
        ...(rec.State.Running ? {} : { StartedAt: nowRfc3339() }),
      };
      rec.HasBeenStarted = true;
      e.store.save(rec);
    }
    watchExit(e, rec);
    await e.lifecycle.restored(rec, 'running');
    return;
  }
  if (rec.State.Running && !rec.State.Restarting) {
    const status = proc ? proc.exitStatus : 255;
    await handleExit(e, rec, rec.State.Pid, status, proc?.exitedAt);
    return;
  }
  if (proc)
    await e.c
      .task(rec.Id)
      .delete()
      .catch(() => undefined);
  await e.lifecycle.restored(rec, rec.State.Restarting ? 'restarting' : 'stopped');
  // As dockerd's restore: an auto-remove container that is not running goes now (a `run --rm` cut
  // short between its create and its start, or its removal cut short, would otherwise stay forever).
  if (rec.HostConfig.AutoRemove && !rec.State.Restarting) await autoRemove(e, rec);
}

export async function restoreContainers(e: Engine): Promise<void> {
  const recs = e.store.load();
  await Promise.all(
    recs.map((rec) =>
      restoreOne(e, rec).catch((err: Error) =>
        e.log.warn({ id: rec.Id, err: err.message }, 'restore failed'),
      ),
    ),
  );
  const swept = await sweepOrphans(e).catch(() => 0);
  // Leases a killed tsctr-dockerd held for a pull or commit would keep half-done content and
  // snapshots until the next pull happened to sweep them: they go now.
  const leases = await dropOrphanLeases(e.c).catch(() => 0);
  e.log.info({ containers: recs.length, swept, leases }, 'containers restored');
}
