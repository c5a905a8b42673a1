// HEALTHCHECK (image) and --health-cmd (create): a probe exec'd in the running container every
// interval, with a timeout; `retries` failures in a row after the start period make it unhealthy,
// one success healthy. State.Health keeps the last five results; changes publish health_status.
import { randomBytes } from 'node:crypto';
import type { Engine } from '../engine.js';
import type { LifecycleHooks } from '../lifecycle.js';
import type { ContainerRecord, HealthConfig, HealthLogEntry } from '../types.js';
import { type ExecInstance, startExec } from './exec.js';

const NS_PER_MS = 1_000_000;
const LOG_KEEP = 5;
const OUTPUT_MAX = 4096;

/** The probe's argv, or undefined when there is none (no config, or NONE). */
export function probeArgs(h: HealthConfig | null | undefined): string[] | undefined {
  const t = h?.Test ?? [];
  if (t.length === 0 || t[0] === 'NONE') return undefined;
  if (t[0] === 'CMD') return t.length > 1 ? t.slice(1) : undefined;
  if (t[0] === 'CMD-SHELL') return t.length > 1 ? ['/bin/sh', '-c', t[1]] : undefined;
  return undefined;
}

async function probe(
  e: Engine,
  rec: ContainerRecord,
  argv: string[],
  timeoutMs: number,
): Promise<HealthLogEntry> {
  const start = new Date().toISOString();
  let exitResolve!: (code: number) => void;
  const exited = new Promise<number>((r) => (exitResolve = r));
  const x: ExecInstance = {
    ID: randomBytes(32).toString('hex'),
    ContainerID: rec.Id,
    Config: { Cmd: argv, AttachStdout: true, AttachStderr: true },
    Running: false,
    ExitCode: null,
    Pid: 0,
    started: false,
    exited,
    exitResolve,
  };
  let out = '';
  try {
    await startExec(e, x, rec, (io) =>
      io.subscribe((_s, chunk) => {
        if (out.length < OUTPUT_MAX) out += chunk.toString().slice(0, OUTPUT_MAX - out.length);
      }),
    );
  } catch (err) {
    return { Start: start, End: new Date().toISOString(), ExitCode: -1, Output: (err as Error).message };
  }
  const timer = setTimeout(() => {
    out += `Health check exceeded timeout (${timeoutMs / 1000}s)`;
    if (x.Pid) {
      try {
        process.kill(x.Pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return { Start: start, End: new Date().toISOString(), ExitCode: code, Output: out };
}

/** Runs the container's health checks for the current run (until it exits or is removed). */
export function watchHealth(e: Engine, rec: ContainerRecord): void {
  const h = rec.Config.Healthcheck;
  const argv = probeArgs(h);
  if (!argv) return;
  const interval = h?.Interval ? h.Interval / NS_PER_MS : 30_000;
  const timeout = h?.Timeout ? h.Timeout / NS_PER_MS : 30_000;
  const retries = h?.Retries && h.Retries > 0 ? h.Retries : 3;
  const startPeriod = h?.StartPeriod ? h.StartPeriod / NS_PER_MS : 0;
  const pid = rec.State.Pid;
  const startedAt = Date.now();
  rec.State.Health ??= { Status: 'starting', FailingStreak: 0, Log: [] };
  const rt = e.runtime(rec.Id);
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  rt.emitter.once('exit', stop);
  rt.emitter.once('removed', stop);
  const tick = async () => {
    timer = undefined;
    if (!rec.State.Running || rec.State.Pid !== pid || !e.store.has(rec.Id)) return;
    const result = rec.State.Paused ? undefined : await probe(e, rec, argv, timeout);
    if (result && rec.State.Running && rec.State.Pid === pid && e.store.has(rec.Id)) {
      const health = rec.State.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
      const before = health.Status;
      health.Log = [...health.Log, result].slice(-LOG_KEEP);
      if (result.ExitCode === 0) {
        health.Status = 'healthy';
        health.FailingStreak = 0;
      } else if (Date.now() - startedAt >= startPeriod || health.Status !== 'starting') {
        health.FailingStreak++;
        if (health.FailingStreak >= retries) health.Status = 'unhealthy';
      }
      rec.State.Health = health;
      e.store.save(rec);
      if (health.Status !== before) e.containerEvent(rec, `health_status: ${health.Status}`);
    }
    if (rec.State.Running && rec.State.Pid === pid) {
      timer = setTimeout(() => void tick(), interval);
      timer.unref();
    }
  };
  timer = setTimeout(() => void tick(), interval);
  timer.unref();
}

/** Health checks as a lifecycle hook: probing starts with each run, and again after a daemon restart. */
export function healthHook(e: Engine): LifecycleHooks {
  return {
    name: 'health',
    started: (rec) => watchHealth(e, rec),
    restored: (rec, state) => {
      if (state === 'running') watchHealth(e, rec);
    },
  };
}
