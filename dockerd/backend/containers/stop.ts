// stop, kill, restart, pause and unpause.
import os from 'node:os';
import { Conflict, InvalidParameter, NotModified } from '../../errdefs/index.js';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../types.js';
import { clearCommitPause } from '../images/commit-pause.js';
import { startContainer } from './start.js';

/** `SIGTERM`, `TERM`, `term`, `15` → 15. */
export function parseSignal(s: string | undefined, fallback: number): number {
  if (!s) return fallback;
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 64) throw new InvalidParameter(`Invalid signal: ${s}`);
    return n;
  }
  const name = (
    s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`
  ) as keyof typeof os.constants.signals;
  const n = os.constants.signals[name];
  if (n === undefined) throw new InvalidParameter(`Invalid signal: ${s}`);
  return n;
}

function exitOf(e: Engine, rec: ContainerRecord, timeoutMs: number): Promise<boolean> {
  const rt = e.runtime(rec.Id);
  // Already recorded as exited: the exit's work (task delete, network release) may still be going on,
  // and a stop answers only once it is done, as dockerd's does.
  if (!rec.State.Running) return rt.exitHooks.then(() => true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      rt.emitter.off('exit', done);
      resolve(false);
    }, timeoutMs);
    const done = () => {
      clearTimeout(t);
      resolve(true);
    };
    rt.emitter.once('exit', done);
  });
}

async function signal(e: Engine, rec: ContainerRecord, sig: number, all = false): Promise<void> {
  await e.c.task(rec.Id).kill(sig, { all });
}

/** A restart pending under the policy is called off (the container reads exited). */
function cancelRestart(e: Engine, rec: ContainerRecord): boolean {
  const rt = e.runtime(rec.Id);
  if (!rec.State.Restarting) return false;
  if (rt.restartTimer) clearTimeout(rt.restartTimer);
  rt.restartTimer = undefined;
  rec.State = { ...rec.State, Status: 'exited', Restarting: false, Running: false, Pid: 0 };
  e.store.save(rec);
  return true;
}

export async function stopContainer(e: Engine, rec: ContainerRecord, timeoutSec?: number): Promise<void> {
  const rt = e.runtime(rec.Id);
  await rt.serial(async () => {
    rec.ManuallyStopped = true;
    if (cancelRestart(e, rec)) return;
    if (!rec.State.Running) throw new NotModified();
    e.store.save(rec);
    const grace = timeoutSec ?? rec.Config.StopTimeout ?? 10;
    const sig = parseSignal(rec.Config.StopSignal, 15);
    if (rec.State.Paused)
      await e.c
        .task(rec.Id)
        .resume()
        .catch(() => undefined);
    if (grace !== 0) {
      e.containerEvent(rec, 'kill', { signal: String(sig) });
      await signal(e, rec, sig).catch(() => undefined);
    }
    if (grace < 0 ? !(await exitOf(e, rec, 2 ** 31 - 1)) : !(await exitOf(e, rec, grace * 1000))) {
      e.containerEvent(rec, 'kill', { signal: '9' });
      await signal(e, rec, 9, true).catch(() => undefined);
      await exitOf(e, rec, 30_000);
    }
    e.containerEvent(rec, 'stop');
  });
}

export async function killContainer(e: Engine, rec: ContainerRecord, sigText?: string): Promise<void> {
  const sig = parseSignal(sigText, 9);
  const rt = e.runtime(rec.Id);
  await rt.serial(async () => {
    if (!rec.State.Running || rec.State.Restarting) {
      throw new Conflict(`Container ${rec.Id} is not running`);
    }
    rec.ManuallyStopped = true;
    e.store.save(rec);
    e.containerEvent(rec, 'kill', { signal: String(sig) });
    await signal(e, rec, sig);
    if (sig === 9) await exitOf(e, rec, 30_000);
  });
}

export async function restartContainer(e: Engine, rec: ContainerRecord, timeoutSec?: number): Promise<void> {
  if (rec.State.Running) {
    await stopContainer(e, rec, timeoutSec).catch((err) => {
      if (!(err instanceof NotModified)) throw err;
    });
  }
  await startContainer(e, rec);
  e.containerEvent(rec, 'restart');
}

export async function pauseContainer(e: Engine, rec: ContainerRecord): Promise<void> {
  await e.runtime(rec.Id).serial(async () => {
    if (!rec.State.Running || rec.State.Restarting) throw new Conflict(`Container ${rec.Id} is not running`);
    if (rec.State.Paused) throw new Conflict(`Container ${rec.Id} is already paused`);
    // The user's pause from here on: no resume left over from an interrupted commit undoes it.
    clearCommitPause(e, rec.Id);
    await e.c.task(rec.Id).pause();
    rec.State = { ...rec.State, Status: 'paused', Paused: true };
    e.store.save(rec);
    e.containerEvent(rec, 'pause');
  });
}

export async function unpauseContainer(e: Engine, rec: ContainerRecord): Promise<void> {
  await e.runtime(rec.Id).serial(async () => {
    if (!rec.State.Paused) throw new Conflict(`Container ${rec.Id} is not paused`);
    clearCommitPause(e, rec.Id);
    await e.c.task(rec.Id).resume();
    rec.State = { ...rec.State, Status: 'running', Paused: false };
    e.store.save(rec);
    e.containerEvent(rec, 'unpause');
  });
}

export function waitExit(e: Engine, rec: ContainerRecord, timeoutMs: number): Promise<boolean> {
  return exitOf(e, rec, timeoutMs);
}
