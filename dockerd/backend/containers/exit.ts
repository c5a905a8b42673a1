// A container's exit: awaited with Tasks.Wait for as long as the task runs (surviving tsctrd
// restarts), then recorded — output drained, task deleted, state saved, `die` published, waiters
// released — and followed by auto-removal or the restart policy.
import { isNotFound } from '../../../api/errdefs.js';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../types.js';
import { removeContainer } from './remove.js';
import { startContainer } from './start.js';

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
        // tsctrd is restarting: ask again.
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
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
  // With --rm the removal deletes the task, off the path of the client waiting for `removed`.
  const d = rec.HostConfig.AutoRemove
    ? undefined
    : await e.c
        .task(rec.Id)
        .delete()
        .catch(() => undefined);
  const code = d && d.exitStatus !== undefined && status === 255 && !exitedAt ? d.exitStatus : status;
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
  const startedMs = Date.parse(rec.State.StartedAt);
  e.store.save(rec);
  e.containerEvent(rec, 'die', { exitCode: String(code) });
  rt.emitter.emit('exit', code);
  if (rec.HostConfig.AutoRemove && !rt.removing) {
    await autoRemove(e, rec);
    return;
  }
  maybeRestart(e, rec, Date.now() - startedMs);
}

export async function autoRemove(e: Engine, rec: ContainerRecord): Promise<void> {
  await removeContainer(e, rec, { force: true, volumes: true }).catch((err: Error) =>
    e.log.warn({ id: rec.Id, err: err.message }, 'auto-remove failed'),
  );
}

/** Docker's restart policies, with its backoff: 100 ms doubling, reset after 10 s of running. */
export function shouldRestart(rec: ContainerRecord): boolean {
  const p = rec.HostConfig.RestartPolicy;
  if (!p || rec.ManuallyStopped) return false;
  switch (p.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return rec.State.ExitCode !== 0 && (!p.MaximumRetryCount || rec.RestartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

const backoff = new Map<string, number>();

export function maybeRestart(e: Engine, rec: ContainerRecord, ranMs: number): void {
  const rt = e.runtime(rec.Id);
  if (rt.removing || !shouldRestart(rec)) return;
  let delay = ranMs > 10_000 ? 100 : Math.min(60_000, (backoff.get(rec.Id) ?? 50) * 2);
  backoff.set(rec.Id, delay);
  if (ranMs > 10_000) delay = 100;
  rec.State = { ...rec.State, Status: 'restarting', Restarting: true, Running: true };
  rec.RestartCount++;
  e.store.save(rec);
  rt.restartTimer = setTimeout(() => {
    rt.restartTimer = undefined;
    if (!e.store.has(rec.Id) || !rec.State.Restarting) return;
    startContainer(e, rec, { restarting: true })
      .then(() => e.containerEvent(rec, 'restart'))
      .catch((err: Error) => {
        e.log.warn({ id: rec.Id, err: err.message }, 'restart failed');
        rec.State = { ...rec.State, Status: 'exited', Restarting: false, Running: false };
        e.store.save(rec);
        maybeRestart(e, rec, 0);
      });
  }, delay);
}
