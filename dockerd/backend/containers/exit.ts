// A container's exit: awaited with Tasks.Wait for as long as the task runs (surviving tsctrd
// restarts), then recorded — output drained, task deleted, state saved, `die` published, the
// lifecycle hooks told (sandbox torn down, restart policy applied), waiters released — and followed
// by auto-removal.
import { isNotFound } from '../../../api/errdefs.js';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../types.js';
import { autoRemove } from './remove.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function nanosToRfc3339(seconds: number, nanos: number): string {
  if (!seconds) return new Date().toISOString();
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, `.${String(nanos).padStart(9, '0')}Z`);
}

/** Waits for the running task of `rec` to exit, then handles it. */
export function watchExit(e: Engine, rec: ContainerRecord): void {
  const pid = rec.State.Pid;
  void (async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await e.c.task(rec.Id).wait();
        await handleExit(e, rec, pid, r.exitStatus, r.exitedAt);
        return;
      } catch (err) {
        if (!e.store.has(rec.Id) || rec.State.Pid !== pid) return;
        if (isNotFound(err)) {
          // The task is gone (its shim died and tsctrd cleaned up): the exit status is lost.
          await handleExit(e, rec, pid, 255, undefined);
          return;
        }
        // tsctrd is restarting: ask again soon (an exit that came meanwhile is recorded promptly).
        await sleep(Math.min(500, 100 * 2 ** Math.min(attempt, 3)));
      }
    }
  })();
}

export async function handleExit(
  e: Engine,
  rec: ContainerRecord,
  pid: number,
  status: number,
  exitedAt: { seconds: number; nanos: number } | undefined,
): Promise<void> {
  if (rec.State.Pid !== pid || !rec.State.Running) return;
  const rt = e.runtime(rec.Id);
  const run = rt.run;
  if (run) {
    // The last output is still in the FIFOs: let readers drain it (a lingering child may hold them).
    await Promise.race([run.ended, sleep(2000)]);
    run.close();
    rt.run = undefined;
  }
  // An exit that came without its status (a shim gone): the task's own record may have it.
  let code = status;
  if (status === 255 && !exitedAt) {
    const st = await e.c
      .task(rec.Id)
      .get()
      .catch(() => undefined);
    if (st && st.exitStatus !== undefined) code = st.exitStatus;
  }
  rec.State = {
    ...rec.State,
    Status: 'exited',
    Running: false,
    Paused: false,
    Restarting: false,
    Pid: 0,
    ExitCode: code,
    FinishedAt: exitedAt ? nanosToRfc3339(exitedAt.seconds, exitedAt.nanos) : new Date().toISOString(),
  };
  const ranMs = Date.now() - Date.parse(rec.State.StartedAt);
  // The exit code is on disk before the task that holds it goes: killed in between, restore finds a
  // stopped record and a leftover task (which it deletes), never a running record without its task.
  e.store.save(rec);
  // A new start or a removal waits for what follows (set before any await: the record already says
  // exited). The task goes first — with --rm the removal deletes it, off the path of the client waiting
  // for `removed`. Then, as dockerd's Cleanup before SetStopped, the network is released before
  // stop/wait/rm -f hear of the exit, so `docker stop a && docker run -p <a's port>` finds the port free.
  rt.exitHooks = (async () => {
    if (!rec.HostConfig.AutoRemove)
      await e.c
        .task(rec.Id)
        .delete()
        .catch(() => undefined);
    await e.lifecycle.exited(rec, { code, ranMs, startFailed: false });
  })();
  await rt.exitHooks;
  e.containerEvent(rec, 'die', { exitCode: String(code) });
  rt.emitter.emit('exit', code);
  if (rec.HostConfig.AutoRemove && !rt.removing) await autoRemove(e, rec);
}
