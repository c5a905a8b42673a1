// What must hold after every recovery (issue 14): running containers keep running with the same
// pid; exits are recorded with their codes; the restart policy applies once per exit; nothing is
// left orphaned (shim, mount, netns, veth, lease, ingest, FIFO dir, bundle); blobs match their
// digests; the metadata LevelDB opens; json-file logs have no torn line and lose nothing written
// while a daemon was down; what a volume write reported is on disk.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { alive, shimsOf } from './procs.js';
import { CTR_NS, ctrRemove, ctrTasks } from './workload.js';
import type { World } from './world.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ls(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

async function inspect(
  w: World,
  name: string,
): Promise<{ status: string; pid: number; code: number; id: string } | undefined> {
  const r = await w.d.docker([
    'inspect',
    '-f',
    '{{.State.Status}} {{.State.Pid}} {{.State.ExitCode}} {{.Id}}',
    name,
  ]);
  if (r.code !== 0) return undefined;
  const [status, pid, code, id] = r.stdout.trim().split(' ');
  return { status, pid: Number(pid), code: Number(code), id };
}

async function mobyTaskStatus(w: World, id: string): Promise<string | undefined> {
  const r = await w.d.tsctrd.ctr(['tasks', 'ls'], { ns: 'moby' });
  const line = r.stdout.split('\n').find((l) => l.startsWith(id));
  return line?.trim().split(/\s+/)[2];
}

/** Settles what interrupted operations left: adopt a steady container that runs, remove the rest. */
export async function reconcile(w: World): Promise<void> {
  for (const name of [...w.committing]) {
    w.committing.delete(name);
    // The task a commit paused is resumed by tsctr-dockerd (it retries while tsctrd restarts): give
    // it the moment that takes, as a client would, before anything execs into it.
    const id = (await inspect(w, name))?.id ?? '';
    for (let i = 0; i < 30 && id && (await mobyTaskStatus(w, id)) === 'PAUSED'; i++) await sleep(200);
    const st = await inspect(w, name);
    if (st?.status === 'paused') {
      w.note(`${name} left paused by an interrupted commit: unpaused`);
      const r = await w.d.docker(['unpause', name]);
      if (r.code !== 0) w.violate('unpause works after a recovery', `${name}: ${r.stderr.trim()}`);
    }
  }
  for (const name of [...w.uncertain]) {
    w.uncertain.delete(name);
    if (name.startsWith('chaos-ctr-')) {
      const t = (await ctrTasks(w))?.get(name);
      if (t && t.status === 'RUNNING' && !w.steady.has(name)) {
        w.steady.set(name, { name, kind: 'ctr', pid: t.pid });
        continue;
      }
      w.steady.delete(name);
      await ctrRemove(w, name);
      continue;
    }
    const st = await inspect(w, name);
    if (st && st.status === 'running' && name.startsWith('chaos-steady-')) {
      w.steady.set(name, { name, kind: 'docker', pid: st.pid });
      continue;
    }
    w.steady.delete(name);
    w.exiters.delete(name);
    if (st) {
      const r = await w.d.docker(['rm', '-f', name]);
      if (r.code !== 0) w.violate('rm -f works after a recovery', `${name}: ${r.stderr.trim()}`);
    }
  }
}

async function checkSteady(w: World): Promise<void> {
  const tasks = await ctrTasks(w);
  for (const s of [...w.steady.values()]) {
    let status: string | undefined;
    let pid = 0;
    if (s.kind === 'docker') {
      const st = await inspect(w, s.name);
      status = st?.status;
      pid = st?.pid ?? 0;
    } else {
      const t = tasks?.get(s.name);
      status = t?.status === 'RUNNING' ? 'running' : t?.status?.toLowerCase();
      pid = t?.pid ?? 0;
    }
    if (s.shimKilled) {
      // Its shim was killed: running on, or recorded as exited; either way it is settled now.
      if (status === 'running' && pid === s.pid && alive(pid)) {
        s.shimKilled = false;
        continue;
      }
      if (status === 'exited' || status === 'stopped' || status === 'running') {
        w.steady.delete(s.name);
        if (s.kind === 'docker') await w.d.docker(['rm', '-f', s.name]);
        else await ctrRemove(w, s.name);
        continue;
      }
      w.violate(
        'a container whose shim died is recorded as exited',
        `${s.name}: status ${status} pid ${pid}`,
      );
      w.steady.delete(s.name);
      continue;
    }
    if (status !== 'running' || pid !== s.pid || !alive(pid)) {
      w.violate(
        'running containers keep running with the same pid',
        `${s.kind} ${s.name}: status ${status}, pid ${pid} (was ${s.pid}, alive ${alive(s.pid)})`,
      );
      w.steady.delete(s.name);
    }
  }
}

async function checkExits(w: World): Promise<void> {
  for (const e of [...w.exiters.values()]) {
    if (Date.now() < e.exitedBy) continue;
    // An exit that came while tsctrd was down is collected once tsctr-dockerd's wait is answered
    // again (it asks every half second): a moment's grace after the recovery.
    let st = await inspect(w, e.name);
    for (let i = 0; i < 20 && st?.status === 'running'; i++) {
      await sleep(250);
      st = await inspect(w, e.name);
    }
    if (!st) w.violate('exits are recorded with their code', `${e.name}: gone`);
    else if (st.status !== 'exited')
      w.violate('exits are recorded with their code', `${e.name}: status ${st.status} long after its exit`);
    else if (!e.shimKilled && st.code !== e.code)
      w.violate('exits are recorded with their code', `${e.name}: exit code ${st.code}, expected ${e.code}`);
    w.exiters.delete(e.name);
    await w.d.docker(['rm', '-f', e.name]);
  }
}

/**
 * The restart container appends a line per start to its volume. RestartCount counts restarts as
 * they are scheduled ("restarting" while the back-off runs), so: running → starts = count + 1;
 * restarting → starts = count; exited → a restart is due (starts = count + 1, or = count when the
 * daemon died between scheduling and starting it) and must happen soon. A policy applied twice for
 * one exit shows as more counted restarts than starts.
 */
async function checkRestartPolicy(w: World): Promise<void> {
  const file = path.join(w.d.dataRoot, 'volumes', 'chaos-rp', '_data', 'starts');
  const read = async () => {
    const r = await w.d.docker(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'chaos-restart']);
    const [count, status] = r.stdout.trim().split(' ');
    const starts = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    return { rc: Number(count), status, starts };
  };
  let s = await read();
  for (let i = 0; i < 40 && s.status === 'exited'; i++) {
    await sleep(500);
    s = await read();
  }
  if (s.status === 'exited') {
    w.violate(
      'a restart policy applies once per exit',
      `chaos-restart (always) stays exited (${s.starts} starts, RestartCount ${s.rc})`,
    );
    return;
  }
  // A start may land between the two reads: one more start than expected is fine.
  const want = s.status === 'restarting' ? s.rc : s.rc + 1;
  if (s.starts < want || s.starts > want + 1) {
    const id = (await w.d.docker(['inspect', '-f', '{{.Id}}', 'chaos-restart'])).stdout.trim();
    const said = w.d.history
      .split('\n')
      .filter((l) => id && l.includes(id.slice(0, 12)))
      .slice(-4)
      .join(' | ');
    w.violate(
      'a restart policy applies once per exit',
      `chaos-restart: ${s.starts} starts for RestartCount ${s.rc} (${s.status}); tsctr-dockerd: ${said.slice(0, 1200)}`,
    );
  }
}

async function checkAutoRemove(w: World): Promise<void> {
  for (const name of [...w.autoRemove]) {
    let gone = false;
    for (let i = 0; i < 30 && !gone; i++) {
      gone = (await inspect(w, name)) === undefined;
      if (!gone) await sleep(500);
    }
    if (!gone) {
      const st = await inspect(w, name);
      w.violate('an interrupted run --rm container is removed', `${name}: ${st?.status}`);
      await w.d.docker(['rm', '-f', name]);
    }
    w.autoRemove.delete(name);
  }
}

/** Lines of iptables-save (filter and nat) that name this daemon's chains or bridge. */
export function iptablesRules(prefix: string, bridge = ''): number {
  let n = 0;
  for (const table of ['filter', 'nat']) {
    try {
      const out = execFileSync('iptables-save', ['-t', table], { encoding: 'utf8' });
      n += out.split('\n').filter((l) => l.includes(prefix) || (bridge && l.includes(bridge))).length;
    } catch {
      // no iptables: nothing to count
    }
  }
  return n;
}

/** Orphans, as a list of problems (empty: none); checked a few times to let transitions settle. */
async function orphans(w: World): Promise<string[]> {
  const problems: string[] = [];
  const t = w.d.tsctrd;
  const running = new Set<string>();
  // A task whose shim died reads STOPPED until its client deletes it: it has no shim, rightly.
  const unstopped = new Set<string>();
  const tasksByNs = new Map<string, Set<string>>();
  for (const ns of ['moby', CTR_NS]) {
    const r = await t.ctr(['tasks', 'ls'], { ns });
    const ids = new Set<string>();
    for (const line of r.stdout.trim().split('\n').slice(1)) {
      const [id, , status] = line.trim().split(/\s+/);
      if (!id) continue;
      ids.add(id);
      if (status === 'RUNNING') running.add(id);
      if (status !== 'STOPPED') unstopped.add(id);
    }
    tasksByNs.set(ns, ids);
  }
  const allTasks = new Set([...tasksByNs.values()].flatMap((s) => [...s]));
  const shims = shimsOf(t.address);
  const spares = shims.filter((s) => s.spare);
  if (spares.length > 1) problems.push(`${spares.length} spare shims`);
  const adoptedSpares = spares.length;
  const taskShims = shims.filter((s) => !s.spare);
  for (const s of taskShims)
    if (!allTasks.has(s.id)) problems.push(`shim ${s.pid} for ${s.ns}/${s.id} has no task`);
  // An adopted spare keeps "spare" in its command line: count shims against tasks as a whole.
  if (taskShims.length + adoptedSpares < unstopped.size)
    problems.push(`${unstopped.size} running tasks but ${shims.length} shims`);
  // Bundles and rootfs mounts of the task service.
  for (const ns of ls(path.join(t.state, 'tasks')))
    for (const id of ls(path.join(t.state, 'tasks', ns)))
      if (!tasksByNs.get(ns)?.has(id)) {
        const dir = path.join(t.state, 'tasks', ns, id);
        const said = t.stderr
          .split('\n')
          .filter((l) => l.includes(id))
          .slice(-3)
          .join(' | ');
        problems.push(`bundle ${ns}/${id} without a task: [${ls(dir)}] tsctrd: ${said.slice(0, 600)}`);
      }
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(path.join(t.state, 'tasks') + '/'));
  for (const m of mounts) {
    const [ns, id] = path.relative(path.join(t.state, 'tasks'), m).split('/');
    if (!tasksByNs.get(ns)?.has(id)) problems.push(`mount ${m} without a task`);
  }
  // Docker side: FIFO dirs and pinned netns per container, veths on the bridge per running container.
  const ps = await w.d.docker(['ps', '-aq', '--no-trunc']);
  const containers = new Set(ps.stdout.trim().split('\n').filter(Boolean));
  const runningDocker = (await w.d.docker(['ps', '-q', '--no-trunc'])).stdout
    .trim()
    .split('\n')
    .filter(Boolean);
  for (const n of ls(w.d.execRoot)) {
    if (n === 'netns') continue;
    if (/^[0-9a-f]{64}$/.test(n) && !containers.has(n))
      problems.push(
        `exec-root dir (FIFOs) ${n.slice(0, 12)} of no container: [${ls(path.join(w.d.execRoot, n))}]`,
      );
  }
  for (const n of ls(path.join(w.d.execRoot, 'netns')))
    if (n !== 'default' && !runningDocker.includes(n))
      problems.push(`netns ${n.slice(0, 12)} of no running container`);
  let veths = 0;
  try {
    veths = execFileSync('ip', ['-o', 'link', 'show', 'master', w.d.bridge], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean).length;
  } catch {
    veths = 0;
  }
  if (veths > runningDocker.length)
    problems.push(`${veths} veths on ${w.d.bridge} for ${runningDocker.length} running containers`);
  // iptables: the daemon's own chains and rules (no published ports here: none per container).
  const rules = iptablesRules(w.d.chainPrefix, w.d.bridge);
  if (w.iptablesRules === undefined) w.iptablesRules = rules;
  else if (rules !== w.iptablesRules)
    problems.push(`iptables rules of this daemon: ${rules}, after setup ${w.iptablesRules}`);
  // No pull or commit is under way while checking: no lease or ingest may remain.
  for (const ns of ['moby', CTR_NS]) {
    const leases = (await t.ctr(['leases', 'ls'], { ns })).stdout.trim().split('\n').slice(1).filter(Boolean);
    const left: string[] = [];
    for (const line of leases) {
      const id = line.trim().split(/\s+/)[0];
      // A lease ctr made for a command a kill cut short stays until it expires, with containerd
      // too (the client that would have deleted it failed): the operator's cleanup, not an orphan.
      if (ns === CTR_NS && /^\d+-[\w-]{4}$/.test(id) && line.includes('containerd.io/gc.expire=')) {
        w.note(`lease ${id} of an interrupted ctr command removed`);
        await t.ctr(['leases', 'rm', id], { ns });
        continue;
      }
      left.push(id);
    }
    if (left.length) problems.push(`leases in ${ns}: ${left.join(' ')}`);
    const active = (await t.ctr(['content', 'active'], { ns })).stdout;
    if (/sha256|\S+\s+\d/.test(active.split('\n').slice(1).join('\n')))
      problems.push(`ingests in ${ns}: ${active.trim()}`);
  }
  return problems;
}

async function checkOrphans(w: World): Promise<void> {
  let problems: string[] = [];
  for (let i = 0; i < 6; i++) {
    problems = await orphans(w);
    if (problems.length === 0) return;
    await sleep(1000);
  }
  for (const p of problems) w.violate('no orphan', p);
}

function checkBlobs(w: World): void {
  const dir = path.join(w.d.tsctrd.root, 'content', 'blobs', 'sha256');
  for (const hex of ls(dir)) {
    const got = createHash('sha256')
      .update(readFileSync(path.join(dir, hex)))
      .digest('hex');
    if (got !== hex) w.violate('every blob matches its digest', `blob ${hex} hashes to ${got}`);
  }
}

/** A copy of the live LevelDB is what a crash at this instant would leave: it must open and read. */
export async function checkLevelDb(w: World): Promise<void> {
  const src = path.join(w.d.tsctrd.root, 'metadata');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tsctr-chaos-ldb-'));
  try {
    cpSync(src, tmp, { recursive: true, filter: (p) => !p.endsWith('/LOCK') });
    const db = new Level<string, unknown>(tmp, { keyEncoding: 'utf8', valueEncoding: 'json' });
    await db.open();
    let n = 0;
    for await (const key of db.keys()) if (key) n++;
    await db.close();
    if (n === 0) w.violate('LevelDB opens cleanly', 'no keys in the metadata database');
  } catch (err) {
    w.violate('LevelDB opens cleanly', (err as Error).message);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Every complete line of every json-file log parses; a ticker's lines are consecutive from 1. */
async function checkLogs(w: World): Promise<void> {
  const tickers = new Set([...w.steady.values()].filter((s) => s.kind === 'docker').map((s) => s.name));
  const dir = path.join(w.d.dataRoot, 'containers');
  const names = new Map<string, string>();
  const ps = await w.d.docker(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}']);
  for (const line of ps.stdout.trim().split('\n')) {
    const [id, name] = line.split(' ');
    if (id) names.set(id, name);
  }
  for (const id of ls(dir)) {
    const file = path.join(dir, id, `${id}-json.log`);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    lines.pop(); // after the last newline: a line being written, or nothing
    const logs: string[] = [];
    for (const [i, line] of lines.entries()) {
      try {
        logs.push((JSON.parse(line) as { log: string }).log);
      } catch {
        w.violate(
          'json-file logs have no torn line',
          `${id.slice(0, 12)} line ${i + 1}: ${line.slice(0, 120)}`,
        );
      }
    }
    const name = names.get(id) ?? '';
    if (!tickers.has(name)) continue;
    const ticks = logs.map((l) => Number(l.replace(/^tick/, '').trim()));
    const gap = ticks.findIndex((t, i) => t !== i + 1);
    if (gap >= 0)
      w.violate(
        'output written while a daemon was down reaches the log',
        `${name}: line ${gap + 1} is tick ${ticks[gap]} (${ticks.length} lines)`,
      );
  }
}

function checkVolume(w: World): void {
  const file = path.join(w.d.dataRoot, 'volumes', 'chaos-vol', '_data', 'tokens');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const t of w.volumeTokens)
    if (!text.includes(`${t}\n`)) w.violate('volume writes are on disk', `token ${t} missing`);
}

export async function checkAll(w: World): Promise<void> {
  await reconcile(w);
  await checkSteady(w);
  await checkExits(w);
  await checkRestartPolicy(w);
  await checkAutoRemove(w);
  await checkOrphans(w);
  checkBlobs(w);
  await checkLevelDb(w);
  await checkLogs(w);
  checkVolume(w);
}
