// The chaos controller: both daemons on a temporary root, a workload running, and every few seconds
// a kill -9 of a random tsctr process (tsctrd, tsctr-dockerd, a container's shim, the spare shim,
// sometimes two at once), then the daemons restarted, the API timed, the workload paused and every
// invariant checked. Reproducible from its seed (the kills' order and timing, the workload's
// choices), bounded in time.
import { Dockerd } from '../dockerd-harness.js';
import { type RunningRegistry, pushTestImage, startRegistry } from '../registry.js';
import { Rng } from '../rng.js';
import { busybox } from '../testimages.js';
import { checkAll, checkLevelDb, iptablesRules } from './invariants.js';
import { childrenOf, shimsOf } from './procs.js';
import { ctr, step } from './workload.js';
import { type Stats, type Violation, World } from './world.js';

export interface ChaosOptions {
  seed: number;
  seconds: number;
  /** Concurrent workload loops. */
  workers?: number;
  /** The API must answer within this long after a daemon's restart (the 2 s). */
  apiBoundMs?: number;
}

export interface ChaosReport {
  seed: number;
  seconds: number;
  stats: Stats;
  violations: Violation[];
  log: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Victim = 'tsctrd' | 'tsctr-dockerd' | 'shim' | 'spare-shim';

async function setup(w: World): Promise<void> {
  const ok = (what: string, r: { code: number; stderr: string }) => {
    if (r.code !== 0) throw new Error(`chaos setup: ${what}: ${r.stderr}`);
  };
  ok('pull', await w.d.docker(['pull', w.ref]));
  ok('pull', await w.d.docker(['pull', w.pullRef]));
  ok('ctr pull', await ctr(w, ['images', 'pull', '--plain-http', w.pullRef], 60_000));
  ok(
    'restart container',
    await w.d.docker([
      'run',
      '-d',
      '--name',
      'chaos-restart',
      '--restart',
      'always',
      '-v',
      'chaos-rp:/data',
      w.ref,
      'sh',
      '-c',
      'echo start >> /data/starts; sleep 3; exit 3',
    ]),
  );
}

/** Kills the chosen processes at once; returns what was killed. */
function kill(w: World, victims: Victim[], rng: Rng): string[] {
  const done: string[] = [];
  for (const v of victims) {
    if (v === 'tsctrd' || v === 'tsctr-dockerd') {
      const p = v === 'tsctrd' ? w.d.tsctrd.proc : w.d.proc;
      if (p && p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        done.push(v);
      }
      continue;
    }
    const shims = shimsOf(w.d.tsctrd.address).filter((s) => s.spare === (v === 'spare-shim'));
    if (shims.length === 0) continue;
    const s = rng.pick(shims);
    // The container whose init this shim parents: its fate is open now.
    const kids = new Set(childrenOf(s.pid));
    for (const st of w.steady.values()) if (kids.has(st.pid)) st.shimKilled = true;
    for (const e of w.exiters.values()) if (s.id && e.id === s.id) e.shimKilled = true;
    try {
      process.kill(s.pid, 'SIGKILL');
      done.push(`${v} ${s.ns}/${s.id.slice(0, 12) || 'spare'} (pid ${s.pid})`);
    } catch {
      // gone meanwhile
    }
  }
  return done;
}

function pickVictims(rng: Rng): Victim[] {
  const one = (): Victim =>
    rng.pick<Victim>(['tsctrd', 'tsctr-dockerd', 'tsctrd', 'tsctr-dockerd', 'shim', 'spare-shim']);
  const first = one();
  if (rng.next() < 0.35) {
    const second = one();
    if (second !== first) return [first, second];
  }
  return [first];
}

async function waitExit(
  p: { exitCode: number | null; signalCode: NodeJS.Signals | null } | undefined,
): Promise<void> {
  for (let i = 0; i < 100 && p && p.exitCode === null && p.signalCode === null; i++) await sleep(20);
}

/** Restarts whatever daemon is down; the API must answer within the bound. */
async function recover(w: World, boundMs: number): Promise<void> {
  const t = w.d.tsctrd;
  await waitExit(t.proc);
  await waitExit(w.d.proc);
  const timed = async (what: string, start: () => Promise<void>, ping: () => Promise<boolean>) => {
    const t0 = Date.now();
    await start();
    while (!(await ping())) {
      if (Date.now() - t0 > 30_000) throw new Error(`${what} API did not answer within 30 s`);
      await sleep(20);
    }
    const ms = Date.now() - t0;
    w.stats.maxApiMs = Math.max(w.stats.maxApiMs, ms);
    if (ms > boundMs) {
      w.stats.apiOverBound++;
      w.note(`${what} answered ${ms} ms after its restart (bound ${boundMs} ms)`);
    }
  };
  if (t.proc && (t.proc.exitCode !== null || t.proc.signalCode !== null))
    await timed(
      'tsctrd',
      () => t.start(),
      async () => (await t.ctr(['version'], { timeoutMs: 5000 })).code === 0,
    );
  if (w.d.proc && (w.d.proc.exitCode !== null || w.d.proc.signalCode !== null))
    await timed(
      'tsctr-dockerd',
      () => w.d.start(),
      async () => (await w.d.request('GET', '/_ping').catch(() => ({ status: 0 }))).status === 200,
    );
  // tsctr-dockerd talks to tsctrd again (after a tsctrd restart its gRPC channel reconnects by
  // itself): `docker images` goes through to tsctrd. How long that takes is reported.
  const t0 = Date.now();
  for (let i = 0; i < 300; i++) {
    if ((await w.d.docker(['images', '-q'], { timeoutMs: 5000 })).code === 0) break;
    await sleep(100);
  }
  w.stats.maxReconnectMs = Math.max(w.stats.maxReconnectMs, Date.now() - t0);
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  // Two streams from the seed: the kills' (victims, timing) do not depend on how far the workload got.
  const rng = new Rng(o.seed);
  const workRng = new Rng((o.seed ^ 0x5bd1e995) >>> 0);
  let reg: RunningRegistry | undefined;
  let d: Dockerd | undefined;
  let w: World | undefined;
  const started = Date.now();
  try {
    reg = await startRegistry();
    const ref = await pushTestImage(reg, 'busybox:latest', await busybox());
    const pullRef = await pushTestImage(reg, 'chaos/pull:v1', await busybox());
    d = await Dockerd.start();
    w = new World(d, ref, pullRef, workRng);
    const world = w;
    await setup(world);
    world.iptablesRules = iptablesRules(d.chainPrefix, d.bridge);
    world.note(`seed ${o.seed}, ${o.seconds} s`);
    const deadline = started + o.seconds * 1000;
    let paused = false;
    let stop = false;
    const idle = new Set<number>();
    const worker = async (k: number) => {
      while (!stop) {
        if (paused) {
          idle.add(k);
          await sleep(50);
          continue;
        }
        idle.delete(k);
        await step(world);
      }
      idle.add(k);
    };
    const workers = Array.from({ length: o.workers ?? 2 }, (_, k) => worker(k));
    /** A daemon that died without being killed: a crash of its own, with its last words. */
    const reported = new WeakSet<object>();
    const crashed = () => {
      for (const [name, p, err] of [
        ['tsctrd', d!.tsctrd.proc, d!.tsctrd.stderr],
        ['tsctr-dockerd', d!.proc, d!.stderr],
      ] as const) {
        if (
          p &&
          !reported.has(p) &&
          (p.exitCode !== null || (p.signalCode !== null && p.signalCode !== 'SIGKILL'))
        ) {
          reported.add(p);
          const last = err.trim().split('\n').slice(-5).join(' | ');
          world.violate(
            'the daemons never die by themselves',
            `${name} exited ${p.exitCode ?? p.signalCode}: ${last.slice(0, 1500)}`,
          );
        }
      }
    };
    while (Date.now() < deadline) {
      await sleep(300 + rng.int(2500));
      crashed();
      const victims = pickVictims(rng);
      // No new operation starts during the outage (the ones under way are interrupted).
      paused = true;
      world.down = true;
      world.epoch++;
      const killed = kill(world, victims, rng);
      world.epoch++;
      if (killed.length === 0) {
        world.down = false;
        paused = false;
        continue;
      }
      world.stats.kills += killed.length;
      for (const k of killed) {
        const key = k.split(' ')[0];
        world.stats.killsByTarget[key] = (world.stats.killsByTarget[key] ?? 0) + 1;
      }
      world.note(`kill -9 ${killed.join(' + ')}`);
      // Down for a moment, as a crashed daemon would be while output keeps coming.
      await sleep(rng.int(1500));
      await recover(world, o.apiBoundMs ?? 2000);
      world.recovery++;
      world.stats.recoveries++;
      while (idle.size < workers.length) await sleep(50);
      await checkAll(world);
      world.note(`recovery ${world.recovery} checked: ${world.violations.length} violations so far`);
      world.epoch++;
      world.down = false;
      paused = false;
    }
    stop = true;
    paused = false;
    await Promise.all(workers);
    // The last word: a kill -9 of both daemons, then their state read as a crash left it.
    kill(world, ['tsctr-dockerd', 'tsctrd'], rng);
    world.stats.kills += 2;
    world.stats.killsByTarget['tsctrd'] = (world.stats.killsByTarget['tsctrd'] ?? 0) + 1;
    world.stats.killsByTarget['tsctr-dockerd'] = (world.stats.killsByTarget['tsctr-dockerd'] ?? 0) + 1;
    await recover(world, o.apiBoundMs ?? 2000);
    world.recovery++;
    world.stats.recoveries++;
    await checkAll(world);
    await checkLevelDb(world);
    // Clean shutdown of the workload's leftovers through the APIs.
    const all = (await d.docker(['ps', '-aq'])).stdout.trim().split('\n').filter(Boolean);
    if (all.length) await d.docker(['rm', '-f', ...all], { timeoutMs: 60_000 });
  } finally {
    await d?.cleanup();
    await reg?.stop();
  }
  return {
    seed: o.seed,
    seconds: Math.round((Date.now() - started) / 1000),
    stats: w!.stats,
    violations: w!.violations,
    log: w!.log,
  };
}
