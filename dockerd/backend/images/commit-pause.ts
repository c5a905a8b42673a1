// A commit pauses the container's task while its snapshot is diffed. The pause is marked on disk
// (under the exec root) before it is made, so that a resume which cannot happen at once — tsctrd away
// mid-commit, or this daemon killed — still happens: retried here in the background, and at restore.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isNotFound } from '../../../api/errdefs.js';
import { type Process, Status } from '../../../api/gen/containerd/types/task/task.js';
import type { Engine } from '../engine.js';

const RETRY_MS = 200;
const GIVE_UP_MS = 120_000;

function marker(e: Engine, id: string): string {
  return path.join(e.opts.execRoot, 'commit-paused', id);
}

/** The task's state: null when it is gone, undefined when tsctrd cannot be reached. */
export function taskState(e: Engine, id: string): Promise<Process | null | undefined> {
  return e.c
    .task(id)
    .get()
    .catch((err: unknown) => (isNotFound(err) ? null : undefined));
}

/** Records that a commit is about to pause `id`. */
export function markCommitPause(e: Engine, id: string): void {
  mkdirSync(path.dirname(marker(e, id)), { recursive: true });
  writeFileSync(marker(e, id), '');
}

/** Whether a commit paused `id` and did not resume it. */
export function commitPaused(e: Engine, id: string): boolean {
  return existsSync(marker(e, id));
}

export function clearCommitPause(e: Engine, id: string): void {
  rmSync(marker(e, id), { force: true });
}

/** Resumes a task a commit paused; keeps trying in the background while tsctrd cannot be reached. */
export async function resumeAfterCommit(e: Engine, id: string): Promise<void> {
  const task = e.c.task(id);
  const tryOnce = async (): Promise<boolean> => {
    try {
      await task.resume();
      return true;
    } catch {
      const state = await taskState(e, id);
      if (state === null) return true; // the task is gone: nothing to resume
      if (state === undefined) return false; // tsctrd away: ask again later
      return state.status !== Status.PAUSED && state.status !== Status.PAUSING;
    }
  };
  if (await tryOnce()) return clearCommitPause(e, id);
  const until = Date.now() + GIVE_UP_MS;
  const again = async (): Promise<void> => {
    if (!commitPaused(e, id)) return; // restore (or a user's unpause) took it over
    if ((await tryOnce()) || Date.now() > until) {
      if (Date.now() > until) e.log.warn({ container: id }, 'could not resume after an interrupted commit');
      clearCommitPause(e, id);
      return;
    }
    setTimeout(() => void again(), RETRY_MS).unref();
  };
  setTimeout(() => void again(), RETRY_MS).unref();
}

/**
 * After a restart that found a commit's mark: the pause the killed daemon asked for may still land
 * (tsctrd carries out a call whose client died). For a while, a pause that shows up is undone; a
 * user's own pause or unpause meanwhile clears the mark and ends the watch.
 */
export function watchLatePause(e: Engine, id: string, forMs = 10_000): void {
  const until = Date.now() + forMs;
  const look = async (): Promise<void> => {
    if (!commitPaused(e, id)) return;
    const state = await taskState(e, id);
    if (state === null) return clearCommitPause(e, id);
    if (state?.status === Status.PAUSED && commitPaused(e, id))
      await e.c
        .task(id)
        .resume()
        .catch(() => undefined);
    if (Date.now() > until) return clearCommitPause(e, id);
    setTimeout(() => void look(), RETRY_MS).unref();
  };
  setTimeout(() => void look(), RETRY_MS).unref();
}
