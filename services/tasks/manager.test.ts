// The task manager without tsctrd: the real ShimLauncher starting real tsctr-shim processes (run
// from the TypeScript sources through tsx, so no build is needed), real runc, a busybox rootfs. The
// faults are real too: a shim killed with SIGKILL, a process runc cannot start.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  promises as fs,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../api/events.js';
import { Status } from '../../api/gen/containerd/types/task/task.js';
import { ContainerStore } from '../containers/store.js';
import { Exchange } from '../events/exchange.js';
import { MetadataDB } from '../metadata/db.js';
import { TaskManager } from './manager.js';
import { ShimLauncher } from './shims.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NS = 'unit';

let dir: string;
let image: string;
let specTemplate: string;
let db: MetadataDB;
let containers: ContainerStore;
let launcher: ShimLauncher;
let manager: TaskManager;
let topics: string[];
let exits: Array<{ id: string; status: number }>;
const address = () => path.join(dir, 'tsctrd.sock');

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-tm-'));
  image = path.join(dir, 'image');
  mkdirSync(path.join(image, 'bin'), { recursive: true });
  for (const d of ['proc', 'dev', 'sys', 'tmp']) mkdirSync(path.join(image, d));
  execFileSync('cp', ['/bin/busybox', path.join(image, 'bin/busybox')]);
  for (const tool of ['sh', 'sleep', 'true']) symlinkSync('busybox', path.join(image, 'bin', tool));
  // The shim binary: cmd/tsctr-shim.ts under tsx's loader.
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const shim = path.join(dir, 'tsctr-shim.mjs');
  writeFileSync(
    shim,
    `await import(${JSON.stringify(pathToFileURL(tsx).href)});\n` +
      `await import(${JSON.stringify(pathToFileURL(path.join(REPO, 'cmd/tsctr-shim.ts')).href)});\n`,
  );
  execFileSync('runc', ['spec', '--bundle', dir]);
  specTemplate = readFileSync(path.join(dir, 'config.json'), 'utf8');
  db = await MetadataDB.open(path.join(dir, 'meta'));
  const events = new Exchange();
  topics = [];
  exits = [];
  events.subscribe([], (e) => {
    topics.push(e.topic);
  });
  events.subscribe(['topic=="/tasks/exit"'], (e) => {
    const fields = decodeEvent(e.event);
    if (fields) exits.push({ id: String(fields.id), status: Number(fields.exitStatus) });
  });
  containers = new ContainerStore(db, events);
  launcher = new ShimLauncher({
    address: address(),
    ttrpcAddress: '',
    state: path.join(dir, 'state'),
    shimBinary: shim,
  });
  manager = newManager(events);
  containers.tasks = { hasTask: async (ns, id) => manager.has(ns, id) };
}, 60_000);

afterAll(async () => {
  // Shims (and a spare one) this test started, whatever state a failed test left them in.
  for (const p of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const cmd = await fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(address())) process.kill(Number(p), 'SIGKILL');
  }
  // Containers a failed test left running (their shim gone, so nobody else will).
  const runcRoot = path.join(dir, 'state', 'runc', NS);
  if (existsSync(runcRoot)) {
    for (const id of execFileSync('runc', ['--root', runcRoot, 'list', '-q']).toString().split('\n')) {
      if (id) execFileSync('runc', ['--root', runcRoot, 'delete', '--force', id]);
    }
  }
  for (const m of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const target = m.split(' ')[1];
    if (target?.startsWith(dir)) execFileSync('umount', ['-l', target]);
  }
  await db?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

function newManager(events: Exchange): TaskManager {
  return new TaskManager(launcher, containers, events, pino({ level: 'silent' }));
}

/** A container running `args` in the busybox rootfs; gives its id and its stdout file. */
async function container(
  args: string[],
  runtime = 'io.containerd.runc.v2',
): Promise<{ id: string; stdout: string }> {
  const id = `c-${randomUUID().slice(0, 8)}`;
  const base = JSON.parse(specTemplate) as {
    process: { args: string[]; terminal: boolean };
    root: { path: string; readonly: boolean };
  };
  base.process.args = args;
  base.process.terminal = false;
  base.root = { path: 'rootfs', readonly: false };
  await containers.create(NS, {
    id,
    labels: {},
    image: '',
    runtime: { name: runtime },
    spec: {
      typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Spec',
      value: Buffer.from(JSON.stringify(base)),
    },
    snapshotter: '',
    snapshotKey: '',
    extensions: {},
  });
  const stdout = path.join(dir, `${id}.out`);
  writeFileSync(stdout, '');
  return { id, stdout };
}

async function createTask(m: TaskManager, id: string, stdout: string): Promise<number> {
  const { pid } = await m.create(NS, {
    containerId: id,
    rootfs: [{ type: 'bind', source: image, target: '', options: ['rbind', 'rw'] }],
    stdin: '',
    stdout,
    stderr: stdout,
    terminal: false,
  });
  return pid;
}

/** The shim's own pid, as it reports it over its socket (it may be an adopted spare shim). */
async function shimPid(id: string): Promise<number> {
  const conn = await launcher.connect(readFileSync(path.join(bundle(id), 'address'), 'utf8').trim());
  try {
    return (await conn.task.connect({ id })).shimPid;
  } finally {
    await conn.ttrpc.close();
  }
}

const bundle = (id: string) => launcher.bundleDir(NS, id);
const rootfsMounted = (id: string) => readFileSync('/proc/mounts', 'utf8').includes(` ${bundle(id)}/rootfs `);

describe('TaskManager with real shims and runc', () => {
  it('creates, starts, waits for and deletes a task; the container cannot go while it exists', async () => {
    const { id, stdout } = await container(['sh', '-c', 'echo out; exit 7']);
    const pid = await createTask(manager, id, stdout);
    expect(pid).toBeGreaterThan(0);
    expect(manager.has(NS, id)).toBe(true);
    expect(existsSync(path.join(bundle(id), 'config.json'))).toBe(true);
    expect(rootfsMounted(id)).toBe(true);
    expect(await manager.state(NS, id, '')).toMatchObject({ id, pid, status: Status.CREATED });
    await expect(containers.delete(NS, id)).rejects.toMatchObject({ kind: 'FailedPrecondition' });
    expect(await manager.start(NS, id, '')).toBe(pid);
    expect((await manager.wait(NS, id, '')).exitStatus).toBe(7);
    expect(readFileSync(stdout, 'utf8')).toBe('out\n');
    expect((await manager.list(NS)).map((s) => [s.id, s.status, s.exitStatus])).toEqual([
      [id, Status.STOPPED, 7],
    ]);
    expect(await manager.delete(NS, id)).toMatchObject({ pid, exitStatus: 7 });
    expect(manager.has(NS, id)).toBe(false);
    expect(existsSync(bundle(id))).toBe(false);
    expect(rootfsMounted(id)).toBe(false);
    await expect(manager.state(NS, id, '')).rejects.toMatchObject({ kind: 'NotFound' });
    await containers.delete(NS, id);
  });

  it('answers NotFound, AlreadyExists and InvalidArgument, and leaves nothing behind a refused create', async () => {
    await expect(createTask(manager, 'no-such-container', '')).rejects.toMatchObject({ kind: 'NotFound' });
    const { id, stdout } = await container(['sleep', '100']);
    await createTask(manager, id, stdout);
    await expect(createTask(manager, id, stdout)).rejects.toMatchObject({ kind: 'AlreadyExists' });
    await expect(
      manager.exec(NS, id, '', { stdin: '', stdout: '', stderr: '', terminal: false }),
    ).rejects.toMatchObject({
      kind: 'InvalidArgument',
    });
    await expect(manager.kill(NS, 'nope', '', 9, false)).rejects.toMatchObject({ kind: 'NotFound' });
    await manager.kill(NS, id, '', 9, false);
    expect((await manager.wait(NS, id, '')).exitStatus).toBe(137);
    await manager.delete(NS, id);

    const other = await container(['true'], 'io.containerd.kata.v2');
    await expect(createTask(manager, other.id, other.stdout)).rejects.toMatchObject({
      kind: 'InvalidArgument',
    });
    expect(manager.has(NS, other.id)).toBe(false);
    expect(existsSync(bundle(other.id))).toBe(false);
  });

  it("fails a create whose process runc cannot start, with runc's message, and cleans up", async () => {
    const { id, stdout } = await container(['/bin/missing']);
    await expect(createTask(manager, id, stdout)).rejects.toThrow(/missing/);
    expect(manager.has(NS, id)).toBe(false);
    expect(existsSync(bundle(id))).toBe(false);
    expect(rootfsMounted(id)).toBe(false);
  });

  it('reports a task whose shim was killed as stopped with 255, cleans it up and lets it be deleted', async () => {
    const { id, stdout } = await container(['sleep', '100']);
    const pid = await createTask(manager, id, stdout);
    await manager.start(NS, id, '');
    const waiting = manager.wait(NS, id, '');
    process.kill(await shimPid(id), 'SIGKILL');
    expect((await waiting).exitStatus).toBe(255);
    expect(await manager.state(NS, id, '')).toMatchObject({ pid, status: Status.STOPPED, exitStatus: 255 });
    await expect(manager.kill(NS, id, '', 9, false)).rejects.toMatchObject({ kind: 'NotFound' });
    await expect(manager.start(NS, id, '')).rejects.toMatchObject({ kind: 'FailedPrecondition' });
    expect(await manager.delete(NS, id)).toMatchObject({ pid, exitStatus: 255 });
    expect(exits).toContainEqual({ id, status: 255 });
    expect(topics).toContain('/tasks/delete');
    expect(rootfsMounted(id)).toBe(false);
    expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')).toBe(
      false,
    );
    expect(existsSync(bundle(id))).toBe(false);
  });

  it('reconnects to running shims after a restart, and marks the ones that died meanwhile', async () => {
    const live = await container(['sleep', '100']);
    const gone = await container(['sleep', '100']);
    const livePid = await createTask(manager, live.id, live.stdout);
    await manager.start(NS, live.id, '');
    await createTask(manager, gone.id, gone.stdout);
    await manager.start(NS, gone.id, '');
    // One shim dies while "tsctrd" is down (the old manager is simply no longer used).
    process.kill(await shimPid(gone.id), 'SIGKILL');

    const restarted = newManager(new Exchange());
    expect(await restarted.recover()).toEqual({ live: 1, dead: 1, gone: 0 });
    expect(await restarted.state(NS, live.id, '')).toMatchObject({ pid: livePid, status: Status.RUNNING });
    expect((await restarted.pids(NS, live.id)).map((p) => p.pid)).toEqual([livePid]);
    expect(await restarted.state(NS, gone.id, '')).toMatchObject({ status: Status.STOPPED, exitStatus: 255 });
    await restarted.kill(NS, live.id, '', 9, false);
    expect((await restarted.wait(NS, live.id, '')).exitStatus).toBe(137);
    await restarted.delete(NS, live.id);
    await restarted.delete(NS, gone.id);
    expect(existsSync(bundle(live.id)) || existsSync(bundle(gone.id))).toBe(false);
  }, 30_000);

  it('right after a restart, lists tasks from what their bundles record, as their shims then answer', async () => {
    const running = await container(['sleep', '100']);
    const created = await container(['sleep', '100']);
    const paused = await container(['sleep', '100']);
    const exited = await container(['sh', '-c', 'exit 3']);
    const pids = new Map<string, number>();
    for (const c of [running, created, paused, exited])
      pids.set(c.id, await createTask(manager, c.id, c.stdout));
    await manager.start(NS, running.id, '');
    await manager.start(NS, paused.id, '');
    await manager.pause(NS, paused.id);
    await manager.start(NS, exited.id, '');
    expect((await manager.wait(NS, exited.id, '')).exitStatus).toBe(3);
    const view = (list: Awaited<ReturnType<TaskManager['list']>>) =>
      new Map(list.map((t) => [t.id, { pid: t.pid, status: t.status, exitStatus: t.exitStatus }]));
    const expected = new Map([
      [running.id, { pid: pids.get(running.id), status: Status.RUNNING, exitStatus: 0 }],
      [created.id, { pid: pids.get(created.id), status: Status.CREATED, exitStatus: 0 }],
      [paused.id, { pid: pids.get(paused.id), status: Status.PAUSED, exitStatus: 0 }],
      [exited.id, { pid: pids.get(exited.id), status: Status.STOPPED, exitStatus: 3 }],
    ]);

    const restarted = newManager(new Exchange());
    let reconnected = false;
    const recovering = restarted.recover().then(() => (reconnected = true));
    // Asked before any shim could answer: the records, without waiting for the shims.
    const early = view(await restarted.list(NS));
    expect(reconnected).toBe(false);
    await recovering;
    const late = view(await restarted.list(NS));
    for (const [id, want] of expected) {
      expect(early.get(id), 'from the record').toEqual(want);
      expect(late.get(id), 'from the shim').toEqual(want);
    }
    await restarted.resume(NS, paused.id);
    for (const c of [running, created, paused]) {
      await restarted.kill(NS, c.id, '', 9, false);
      await restarted.wait(NS, c.id, '');
    }
    for (const c of [running, created, paused, exited]) await restarted.delete(NS, c.id);
  }, 30_000);

  it('after a restart, removes a shim whose task was deleted by a delete the kill cut short', async () => {
    const { id, stdout } = await container(['true']);
    await createTask(manager, id, stdout);
    await manager.start(NS, id, '');
    expect((await manager.wait(NS, id, '')).exitStatus).toBe(0);
    // The shim's half of a delete, as if "tsctrd" was killed right after it answered.
    const shim = await shimPid(id);
    const conn = await launcher.connect(readFileSync(path.join(bundle(id), 'address'), 'utf8').trim(), 2000);
    await conn.task.delete({ id, execId: '' });
    await conn.ttrpc.close();

    const restarted = newManager(new Exchange());
    expect(await restarted.recover()).toEqual({ live: 0, dead: 0, gone: 1 });
    expect(restarted.has(NS, id)).toBe(false);
    await expect(restarted.delete(NS, id)).rejects.toMatchObject({ kind: 'NotFound' });
    expect((await restarted.list(NS)).map((t) => t.id)).not.toContain(id);
    expect(existsSync(bundle(id))).toBe(false);
    expect(rootfsMounted(id)).toBe(false);
    for (let i = 0; i < 50 && existsSync(`/proc/${shim}`); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(`/proc/${shim}`)).toBe(false);
  }, 30_000);
});
