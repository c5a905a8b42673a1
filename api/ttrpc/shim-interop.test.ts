// Interoperability with the real containerd-shim-runc-v2 (Debian's containerd 1.6.20): start it the
// shim v2 way, drive a container through Connect/Create/Start/Wait/State/Delete/Shutdown with our
// TtrpcClient, and receive its events on our TtrpcServer's Events/Forward, as containerd would.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TsctrError } from '../errdefs.js';
import { TaskCreate, TaskDelete, TaskExit, TaskStart } from '../gen/containerd/events/task.js';
import { CreateTaskRequest, DeleteResponse, TaskService } from '../gen/containerd/runtime/task/v2/shim.js';
import { EventsService } from '../gen/containerd/services/events/ttrpc/v1/events.js';
import type { Envelope } from '../gen/containerd/services/events/ttrpc/v1/events.js';
import { Status } from '../gen/containerd/types/task/task.js';
import { TtrpcClient } from './client.js';
import type { ServiceClient } from './client.js';
import { NAMESPACE_KEY } from './metadata.js';
import { TtrpcServer } from './server.js';

const SHIM = '/usr/bin/containerd-shim-runc-v2';
const RUNC = '/usr/sbin/runc';
const runnable =
  existsSync(SHIM) && existsSync(RUNC) && existsSync('/bin/busybox') && process.getuid?.() === 0;

const ns = `tsctr-ttrpc-${process.pid}`;
const runcRoot = `/run/containerd/runc/${ns}`;
const cgroupParent = `/tsctr-ttrpc-test-${process.pid}`;
const env = { ...process.env, PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
const hadRunContainerd = existsSync('/run/containerd');

let base: string;
let rootfs: string;
let containerdAddress: string;
let events: TtrpcServer | undefined;
const received: Array<{ envelope: Envelope; namespace?: string }> = [];
const cleanups: Array<() => Promise<void> | void> = [];

/** Running, and not a zombie (whoever it was re-parented to may be slow to reap it). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | undefined, log = '', ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; shim log:\n${log}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function makeRootfs(root: string): void {
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', path.join(root, 'bin', 'busybox'));
  chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  for (const cmd of ['sh', 'echo', 'sleep']) symlinkSync('busybox', path.join(root, 'bin', cmd));
  for (const d of ['proc', 'dev', 'sys', 'tmp']) mkdirSync(path.join(root, d), { recursive: true });
}

function makeSpec(id: string, args: string[]): string {
  const tmpl = mkdtempSync(path.join(base, 'spec-'));
  execFileSync(RUNC, ['spec', '--bundle', tmpl], { env });
  const spec = JSON.parse(readFileSync(path.join(tmpl, 'config.json'), 'utf8')) as {
    process: { args: string[]; terminal: boolean };
    root: { path: string; readonly: boolean };
    linux: { cgroupsPath?: string };
  };
  spec.process.args = args;
  spec.process.terminal = false;
  spec.root.path = rootfs;
  spec.linux.cgroupsPath = `${cgroupParent}/${id}`;
  return JSON.stringify(spec, null, 2);
}

interface Shim {
  id: string;
  bundle: string;
  out: string;
  address: string;
  log: () => string;
  client: TtrpcClient;
  task: ServiceClient<typeof TaskService>;
  pid: number;
}

/** Lays out a bundle the way containerd does and starts the shim with `start`, then connects. */
async function startShim(id: string, args: string[]): Promise<Shim> {
  // The bundle's basename must be the id: `shim delete` finds it as <dirname(cwd)>/<id>.
  const bundle = path.join(base, id);
  mkdirSync(bundle, { mode: 0o700 });
  writeFileSync(path.join(bundle, 'config.json'), makeSpec(id, args));
  const out = path.join(base, `${id}.out`);
  writeFileSync(out, '');

  // The shim daemon opens <bundle>/log write-only (no O_CREAT) and blocks until a reader has it open:
  // containerd makes the FIFO and keeps it open RDWR|NONBLOCK. Without it the daemon exits at once.
  execFileSync('mkfifo', ['-m', '0700', path.join(bundle, 'log')]);
  const fd = openSync(path.join(bundle, 'log'), constants.O_RDWR | constants.O_NONBLOCK);
  const logPipe = new net.Socket({ fd, readable: true, writable: false });
  let log = '';
  logPipe.on('data', (b: Buffer) => (log += b.toString()));

  const shim: Partial<Shim> = { id, bundle, out, log: () => log };
  cleanups.push(async () => {
    await shim.client?.close();
    if (shim.pid && alive(shim.pid)) process.kill(shim.pid, 'SIGKILL');
    spawnSync(RUNC, ['--root', runcRoot, 'delete', '--force', id], { env });
    if (shim.address?.startsWith('unix://')) rmSync(shim.address.slice('unix://'.length), { force: true });
    for (const ctrl of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
      try {
        rmdirSync(path.join('/sys/fs/cgroup', ctrl, cgroupParent, id));
      } catch {
        // already gone, or not a cgroup hierarchy
      }
    }
    logPipe.destroy();
  });

  const start = spawn(
    SHIM,
    ['-namespace', ns, '-address', containerdAddress, '-publish-binary', '/bin/true', '-id', id, 'start'],
    // `start` reads shim options from stdin until EOF: it must not be left open.
    {
      cwd: bundle,
      env: { ...env, TTRPC_ADDRESS: `${containerdAddress}.ttrpc` },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  start.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  start.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((r) => start.once('close', (c) => r(c)));
  expect(code, stderr).toBe(0);
  shim.address = stdout.trim();

  shim.client = await TtrpcClient.connect(shim.address, {
    timeoutMs: 5000,
    metadata: { [NAMESPACE_KEY]: ns },
  });
  shim.task = shim.client.client(TaskService);
  shim.pid = (await shim.task.connect({ id }, { timeoutMs: 5000 })).shimPid;
  return shim as Shim;
}

describe.skipIf(!runnable)('ttrpc against the real containerd-shim-runc-v2', () => {
  beforeAll(async () => {
    base = mkdtempSync(path.join(os.tmpdir(), 'ttrpc-shim-'));
    rootfs = path.join(base, 'rootfs');
    makeRootfs(rootfs);
    // containerd's ttrpc Events service lives at <containerd address>.ttrpc (TTRPC_ADDRESS).
    containerdAddress = path.join(base, 'containerd.sock');
    events = new TtrpcServer();
    events.registerService(EventsService, {
      forward: async (req, ctx) => {
        if (req.envelope) received.push({ envelope: req.envelope, namespace: ctx.namespace });
        return {};
      },
    });
    await events.listen(`${containerdAddress}.ttrpc`);
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  afterAll(async () => {
    rmSync(runcRoot, { recursive: true, force: true });
    for (const ctrl of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
      try {
        rmdirSync(path.join('/sys/fs/cgroup', ctrl, cgroupParent));
      } catch {
        // already gone, or not a cgroup hierarchy
      }
    }
    if (!hadRunContainerd) {
      // The shim made these; remove them only if nothing else has put anything there since.
      for (const d of ['/run/containerd/s', '/run/containerd/runc', '/run/containerd']) {
        try {
          rmdirSync(d);
        } catch {
          // not empty or not there
        }
      }
    }
    await events?.close({ timeoutMs: 1000 });
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('runs a task through Connect, Create, Start, Wait, State, Delete and Shutdown', async () => {
    const id = `ttrpc-interop-${Date.now().toString(36)}`;
    const shim = await startShim(id, ['sh', '-c', 'echo hello from $0; exit 7']);
    const { task, client, bundle, out } = shim;
    const closed = new Promise<void>((r) => client.onClose(r));

    // The address containerd computes: sha256(<containerd address>/<ns>/<id>), also in <bundle>/address.
    const hash = createHash('sha256')
      .update(path.join(containerdAddress, ns, id))
      .digest('hex');
    expect(shim.address).toBe(`unix:///run/containerd/s/${hash}`);
    expect(readFileSync(path.join(bundle, 'address'), 'utf8')).toBe(shim.address);
    expect(shim.pid).toBeGreaterThan(0);
    expect((await task.connect({ id })).taskPid).toBe(0);

    // Errors come back as typed errors.
    expect(await task.state({ id: 'nope', execId: '' }).catch((e: unknown) => e)).toMatchObject({
      kind: 'NotFound',
    });
    const unknown = await client
      .call('containerd.task.v2.Task', 'Nope', new Uint8Array(0))
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ kind: 'NotImplemented', message: 'method Nope' });
    const nosvc = await client
      .call('containerd.task.v9.Task', 'State', new Uint8Array(0))
      .catch((e: unknown) => e);
    expect(nosvc).toMatchObject({ kind: 'NotImplemented', message: 'service containerd.task.v9.Task' });

    const created = await task.create(
      CreateTaskRequest.fromPartial({ id, bundle, rootfs: [], terminal: false, stdout: out, stderr: out }),
      { timeoutMs: 30_000 },
    );
    expect(created.pid).toBeGreaterThan(0);
    expect((await task.connect({ id })).taskPid).toBe(created.pid);
    expect(await task.state({ id, execId: '' })).toMatchObject({ status: Status.CREATED, pid: created.pid });

    // Wait blocks until the exit; issue it before Start, as containerd does.
    const waiting = task.wait({ id, execId: '' });
    const started = await task.start({ id, execId: '' }, { timeoutMs: 30_000 });
    expect(started.pid).toBe(created.pid);
    const exit = await waiting;
    expect(exit.exitStatus).toBe(7);
    expect(exit.exitedAt?.seconds).toBeGreaterThan(0);

    const state = await task.state({ id, execId: '' });
    expect(state).toMatchObject({ id, bundle, status: Status.STOPPED, exitStatus: 7, stdout: out });
    await until('output', () => (readFileSync(out, 'utf8').includes('hello') ? true : undefined), shim.log());
    expect(readFileSync(out, 'utf8')).toBe('hello from sh\n');

    // Killing an exited init: NotFound.
    const kill = await task.kill({ id, execId: '', signal: 9, all: false }).catch((e: unknown) => e);
    expect(kill).toMatchObject({ kind: 'NotFound' });

    const deleted = await task.delete({ id, execId: '' }, { timeoutMs: 30_000 });
    expect(deleted).toMatchObject({ pid: created.pid, exitStatus: 7 });
    expect(deleted.exitedAt).toEqual(exit.exitedAt);
    expect(await task.state({ id, execId: '' }).catch((e: unknown) => e)).toMatchObject({ kind: 'NotFound' });

    // The shim forwarded its events to our Events service, in order, with the namespace.
    const mine = (): Envelope[] =>
      received.map((r) => r.envelope).filter((e) => e.topic.startsWith('/tasks/'));
    const topics = await until(
      'the /tasks/delete event',
      () => (mine().some((e) => e.topic === '/tasks/delete') ? mine().map((e) => e.topic) : undefined),
      shim.log(),
    );
    expect(topics).toEqual(['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']);
    for (const r of received) {
      expect(r.namespace).toBe(ns);
      expect(r.envelope.namespace).toBe(ns);
      expect(r.envelope.timestamp?.seconds).toBeGreaterThan(0);
    }
    const byTopic = (t: string): Envelope => mine().find((e) => e.topic === t)!;
    expect(byTopic('/tasks/create').event?.typeUrl).toBe('containerd.events.TaskCreate');
    expect(TaskCreate.decode(byTopic('/tasks/create').event!.value)).toMatchObject({
      containerId: id,
      bundle,
      pid: created.pid,
      io: { stdout: out, stderr: out, terminal: false },
    });
    expect(TaskStart.decode(byTopic('/tasks/start').event!.value)).toEqual({
      containerId: id,
      pid: created.pid,
    });
    const exitEnv = byTopic('/tasks/exit');
    expect(exitEnv.event?.typeUrl).toBe('containerd.events.TaskExit');
    const exitEvt = TaskExit.decode(exitEnv.event!.value);
    expect(exitEvt).toMatchObject({ containerId: id, id, pid: created.pid, exitStatus: 7 });
    expect(exitEvt.exitedAt).toEqual(exit.exitedAt);
    expect(TaskDelete.decode(byTopic('/tasks/delete').event!.value)).toMatchObject({
      containerId: id,
      pid: created.pid,
      exitStatus: 7,
    });

    // Shutdown with no containers left: the shim exits, possibly before its answer reaches us.
    const down = await task.shutdown({ id, now: false }).then(
      () => 'answered',
      (e: unknown) => (e instanceof TsctrError && e.kind === 'Unavailable' ? 'closed' : Promise.reject(e)),
    );
    expect(['answered', 'closed']).toContain(down);
    await closed;
    await until('the shim to exit', () => (alive(shim.pid) ? undefined : true), shim.log());
    expect(existsSync(shim.address.slice('unix://'.length))).toBe(false);
  });

  it('keeps serving after Shutdown while a task exists; reports its death through onClose', async () => {
    const id = `ttrpc-dies-${Date.now().toString(36)}`;
    const shim = await startShim(id, ['sleep', '600']);
    const { task, client, bundle, out } = shim;
    const closed = new Promise<void>((r) => client.onClose(r));
    const created = await task.create(
      CreateTaskRequest.fromPartial({ id, bundle, stdout: out, stderr: out }),
      { timeoutMs: 30_000 },
    );
    await task.start({ id, execId: '' }, { timeoutMs: 30_000 });
    expect(alive(created.pid)).toBe(true);

    // Shutdown is a no-op while the shim still has a container.
    await task.shutdown({ id, now: false });
    expect((await task.state({ id, execId: '' })).status).toBe(Status.RUNNING);

    // The shim dies: the pending Wait fails with Unavailable and onClose runs.
    const waiting = task.wait({ id, execId: '' }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    process.kill(shim.pid, 'SIGKILL');
    expect(await waiting).toMatchObject({ kind: 'Unavailable', message: 'ttrpc: closed' });
    await closed;
    expect(client.closed).toBe(true);
    // The container outlives its shim.
    expect(alive(created.pid)).toBe(true);

    // What containerd then does (cleanupAfterDeadShim): `shim delete`, with cwd = bundle.
    const del = spawnSync(
      SHIM,
      [
        '-namespace',
        ns,
        '-address',
        containerdAddress,
        '-publish-binary',
        '/bin/true',
        '-id',
        id,
        '-bundle',
        bundle,
        'delete',
      ],
      { cwd: bundle, env: { ...env, TTRPC_ADDRESS: `${containerdAddress}.ttrpc` } },
    );
    expect(del.status, del.stderr.toString()).toBe(0);
    const resp = DeleteResponse.decode(del.stdout);
    expect(resp).toMatchObject({ pid: created.pid, exitStatus: 137 });
    await until('the container to be killed', () => (alive(created.pid) ? undefined : true), shim.log());
  });
});
