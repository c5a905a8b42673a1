// The workload the chaos run keeps going while daemons are killed: docker run -d / rm -f, run --rm
// with its output checked, exec, logs -f, pull, commit, volume writes, containers that exit with a
// known code, and ctr run in another namespace. An operation that fails while no kill happened
// during it is a violation; one a kill interrupted only leaves an uncertain outcome to settle.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { run } from '../harness.js';
import type { World } from './world.js';

export const CTR_NS = 'chaos';
const TICKER = 'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.3; done';

async function docker(w: World, args: string[], timeoutMs = 30_000) {
  return w.d.docker(args, { timeoutMs });
}

export function ctr(w: World, args: string[], timeoutMs = 30_000) {
  return run('ctr', ['-a', w.d.tsctrd.address, '-n', CTR_NS, ...args], { timeoutMs });
}

/** `ctr task ls` as name → pid and status. */
export async function ctrTasks(w: World): Promise<Map<string, { pid: number; status: string }> | undefined> {
  const r = await ctr(w, ['task', 'ls']);
  if (r.code !== 0) return undefined;
  const out = new Map<string, { pid: number; status: string }>();
  for (const line of r.stdout.trim().split('\n').slice(1)) {
    const [name, pid, status] = line.trim().split(/\s+/);
    if (name) out.set(name, { pid: Number(pid), status });
  }
  return out;
}

type Op = (w: World, ok: () => boolean) => Promise<void>;

function failed(
  w: World,
  ok: () => boolean,
  what: string,
  r: { code: number; stderr: string; stdout: string },
) {
  if (ok())
    w.violate(
      'operation succeeds while the daemons are up',
      `${what}: exit ${r.code}: ${JSON.stringify(r.stderr.trim() || r.stdout.trim())}`,
    );
}

function steadyDocker(w: World, idle = false): string | undefined {
  // Not one a commit has paused (an exec or a second pause would be refused, as by dockerd); for a
  // removal, not one another operation is using (exec into a container being removed fails, rightly).
  const names = [...w.steady.values()]
    .filter((s) => s.kind === 'docker' && !s.shimKilled && !w.committing.has(s.name))
    .filter((s) => !idle || !w.inUse.has(s.name))
    .map((s) => s.name);
  return names.length ? w.rng.pick(names) : undefined;
}

/** Runs `use` on a steady docker container, which no removal picks meanwhile. */
async function withSteady(w: World, use: (name: string) => Promise<void>): Promise<void> {
  const name = steadyDocker(w);
  if (!name) return;
  w.inUse.set(name, (w.inUse.get(name) ?? 0) + 1);
  try {
    await use(name);
  } finally {
    const n = (w.inUse.get(name) ?? 1) - 1;
    if (n > 0) w.inUse.set(name, n);
    else w.inUse.delete(name);
  }
}

const runSteady: Op = async (w, ok) => {
  if ([...w.steady.values()].filter((s) => s.kind === 'docker').length >= 4) return;
  const name = w.name('steady');
  w.uncertain.add(name);
  const r = await docker(w, ['run', '-d', '--name', name, w.ref, 'sh', '-c', TICKER]);
  if (r.code !== 0) return failed(w, ok, `run -d ${name}`, r);
  const pid = Number((await docker(w, ['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim());
  if (!ok() || !pid) return;
  w.uncertain.delete(name);
  w.steady.set(name, { name, kind: 'docker', pid });
};

const rmSteady: Op = async (w, ok) => {
  const name = steadyDocker(w, true);
  if (!name || w.rng.next() < 0.5) return;
  w.steady.delete(name);
  w.uncertain.add(name);
  const r = await docker(w, ['rm', '-f', name]);
  if (r.code !== 0) return failed(w, ok, `rm -f ${name}`, r);
  if (ok()) w.uncertain.delete(name);
};

const runRm: Op = async (w, ok) => {
  const name = w.name('rm');
  const token = randomBytes(6).toString('hex');
  w.autoRemove.add(name);
  const r = await docker(w, ['run', '--rm', '--name', name, w.ref, 'echo', token]);
  if (!ok()) return;
  w.autoRemove.delete(name);
  if (r.code !== 0) return failed(w, ok, `run --rm ${name}`, r);
  if (r.stdout !== `${token}\n`)
    w.violate('run --rm prints its output', `${name}: got ${JSON.stringify(r.stdout)}`);
};

const exec: Op = (w, ok) =>
  withSteady(w, async (name) => {
    const token = randomBytes(4).toString('hex');
    const r = await docker(w, ['exec', name, 'echo', token]);
    if (!ok()) return;
    if (r.code !== 0) return failed(w, ok, `exec ${name}`, r);
    if (r.stdout !== `${token}\n`)
      w.violate('exec prints its output', `${name}: got ${JSON.stringify(r.stdout)}`);
  });

const logsFollow: Op = (w, ok) =>
  withSteady(w, async (name) => {
    const out = await new Promise<string>((resolve) => {
      const child = spawn('docker', ['logs', '-f', '--tail', '2', name], {
        env: { ...process.env, ...w.d.env },
      });
      let text = '';
      child.stdout.on('data', (b: Buffer) => (text += b.toString()));
      child.on('error', () => resolve(text));
      setTimeout(() => child.kill('SIGKILL'), 1500);
      child.on('close', () => resolve(text));
    });
    if (!ok()) return;
    const ticks = out
      .split('\n')
      .filter(Boolean)
      .map((l) => Number(l.replace('tick', '')));
    if (ticks.length < 1 || ticks.some((t, i) => i > 0 && t !== ticks[i - 1] + 1))
      w.violate('logs -f follows the output in order', `${name}: ${JSON.stringify(out.slice(0, 200))}`);
  });

const pull: Op = async (w, ok) => {
  await docker(w, ['rmi', w.pullRef]);
  const r = await docker(w, ['pull', w.pullRef], 60_000);
  if (r.code !== 0) return failed(w, ok, `pull ${w.pullRef}`, r);
};

const commit: Op = (w, ok) =>
  withSteady(w, async (name) => {
    const tag = `chaos-commit:${w.name('c')}`;
    // docker commit pauses the container: a kill in the middle leaves it paused (as with dockerd).
    w.committing.add(name);
    const r = await docker(w, ['commit', name, tag], 60_000);
    if (ok()) w.committing.delete(name);
    if (r.code !== 0) return failed(w, ok, `commit ${name}`, r);
    const rm = await docker(w, ['rmi', tag]);
    if (rm.code !== 0) failed(w, ok, `rmi ${tag}`, rm);
  });

const volumeWrite: Op = async (w, ok) => {
  const token = randomBytes(6).toString('hex');
  const r = await docker(w, [
    'run',
    '--rm',
    '-v',
    'chaos-vol:/data',
    w.ref,
    'sh',
    '-c',
    `echo ${token} >> /data/tokens`,
  ]);
  if (!ok()) return;
  if (r.code !== 0) return failed(w, ok, 'volume write', r);
  w.volumeTokens.push(token);
};

const exiter: Op = async (w, ok) => {
  if (w.exiters.size >= 4) return;
  const name = w.name('exit');
  const code = 1 + w.rng.int(120);
  const secs = 1 + w.rng.int(4);
  w.uncertain.add(name);
  const r = await docker(w, ['run', '-d', '--name', name, w.ref, 'sh', '-c', `sleep ${secs}; exit ${code}`]);
  if (r.code !== 0) return failed(w, ok, `run -d ${name}`, r);
  if (!ok()) return;
  w.uncertain.delete(name);
  w.exiters.set(name, { name, id: r.stdout.trim(), code, exitedBy: Date.now() + secs * 1000 + 5000 });
};

const ctrRun: Op = async (w, ok) => {
  if ([...w.steady.values()].filter((s) => s.kind === 'ctr').length >= 2) return;
  const name = w.name('ctr');
  w.uncertain.add(name);
  const r = await ctr(w, ['run', '-d', '--null-io', w.pullRef, name, 'sleep', '100000']);
  if (r.code !== 0) return failed(w, ok, `ctr run ${name}`, r);
  const pid = (await ctrTasks(w))?.get(name)?.pid ?? 0;
  if (!ok() || !pid) return;
  w.uncertain.delete(name);
  w.steady.set(name, { name, kind: 'ctr', pid });
};

export async function ctrRemove(w: World, name: string) {
  await ctr(w, ['task', 'rm', '-f', name]);
  return ctr(w, ['container', 'rm', name]);
}

const ctrRm: Op = async (w, ok) => {
  const names = [...w.steady.values()].filter((s) => s.kind === 'ctr').map((s) => s.name);
  if (!names.length || w.rng.next() < 0.6) return;
  const name = w.rng.pick(names);
  w.steady.delete(name);
  w.uncertain.add(name);
  const r = await ctrRemove(w, name);
  if (r.code !== 0) return failed(w, ok, `ctr rm ${name}`, r);
  if (ok()) w.uncertain.delete(name);
};

export const OPS: Record<string, Op> = {
  runSteady,
  rmSteady,
  runRm,
  exec,
  logsFollow,
  pull,
  commit,
  volumeWrite,
  exiter,
  ctrRun,
  ctrRm,
};

/** One random operation, its outcome counted in the stats. */
export async function step(w: World): Promise<void> {
  const names = Object.keys(OPS);
  const name = w.rng.pick(names);
  const epoch = w.epoch;
  const wasDown = w.down;
  const ok = () => w.epoch === epoch && !wasDown && !w.down;
  w.stats.ops++;
  w.stats.opsByName[name] = (w.stats.opsByName[name] ?? 0) + 1;
  const before = w.violations.length;
  try {
    await OPS[name](w, ok);
  } catch (err) {
    if (ok()) w.violate('operation succeeds while the daemons are up', `${name}: ${(err as Error).message}`);
  }
  if (!ok()) w.stats.opsInterrupted++;
  else if (w.violations.length > before) w.stats.opsFailed++;
}
