// The restart policy as a lifecycle hook: after an exit (not a failed start, not --rm) a container
// whose policy says so is restarted after Docker's backoff; a container a daemon restart found
// waiting to restart is scheduled again.
import type { Engine } from '../engine.js';
import type { ExitInfo, LifecycleHooks, RestoredState } from '../lifecycle.js';
import type { ContainerRecord } from '../types.js';
import { startContainer } from './start.js';

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

/**
 * `retry`: the restart of the same exit failed to start (tsctrd restarting, say) and is tried again
 * after the back-off: the policy still applies once per exit, so RestartCount does not move.
 */
function maybeRestart(e: Engine, rec: ContainerRecord, ranMs: number, retry = false): void {
  const rt = e.runtime(rec.Id);
  if (rt.removing || !shouldRestart(rec)) return;
  let delay = ranMs > 10_000 ? 100 : Math.min(60_000, (backoff.get(rec.Id) ?? 50) * 2);
  backoff.set(rec.Id, delay);
  if (ranMs > 10_000) delay = 100;
  rec.State = { ...rec.State, Status: 'restarting', Restarting: true, Running: true };
  if (!retry) rec.RestartCount++;
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
        maybeRestart(e, rec, 0, true);
      });
  }, delay);
}

export function restartPolicyHook(e: Engine): LifecycleHooks {
  return {
    name: 'restart-policy',
    exited(rec: ContainerRecord, info: ExitInfo): void {
      if (info.startFailed || rec.HostConfig.AutoRemove) return;
      maybeRestart(e, rec, info.ranMs);
    },
    restored(rec: ContainerRecord, state: RestoredState): void {
      // An exit recorded just before a kill of this daemon, whose restart was never scheduled: as
      // dockerd at start, a container that ran and whose policy says so is restarted now.
      if (state === 'stopped') {
        if (rec.HasBeenStarted && !rec.State.Running && !rec.HostConfig.AutoRemove) maybeRestart(e, rec, 0);
        return;
      }
      if (state !== 'restarting') return;
      rec.State = { ...rec.State, Restarting: false, Running: false, Status: 'exited' };
      rec.RestartCount = Math.max(0, rec.RestartCount - 1);
      maybeRestart(e, rec, 0);
    },
  };
}
