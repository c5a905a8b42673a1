// The shim's task service with the real runc, in this process (no shim daemon, no tsctrd): a busybox
// bundle, the rootfs bind-mounted by the service, stdout to a file, exits reaped here as the subreaper.
// A fake runc is used once, for a fault the real one does not produce (a failing `runc delete`).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Status } from '../api/gen/containerd/types/task/task.js';
import type { CallContext } from '../api/ttrpc/index.js';
import { ShimTask } from './service.js';
import { setSubreaper } from '../pkg/sys/process.js';

const RUNC = '/usr/sbin/runc';

let work: string;
let image: string;
let reaper: NodeJS.Timeout;
let onSigchld: (() => void) | undefined;
const started: Array<{ task: ShimTask; bundle: string; runcRoot: string; id: string }> = [];

beforeAll(() => {
  setSubreaper();
  work = mkdtempSync(path.join(os.tmpdir(), 'tsctr-shim-unit-'));
  image = path.join(work, 'image');
  mkdirSync(path.join(image, 'bin'), { recursive: true });
  for (const d of ['proc', 'dev', 'sys', 'tmp']) mkdirSync(path.join(image, d));
  execFileSync('cp', ['/bin/busybox', path.join(image, 'bin/busybox')]);
  for (const tool of ['sh', 'sleep', 'echo', 'cat', 'true'])
    symlinkSync('busybox', path.join(image, 'bin', tool));
});

afterEach(async () => {
  clearInterval(reaper);
  if (onSigchld) process.off('SIGCHLD', onSigchld);
  for (const s of started.splice(0)) {
    await s.task.runc.delete(true).catch(() => undefined);
    execFileSync('sh', ['-c', `umount -l ${s.bundle}/rootfs 2>/dev/null || true`]);
  }
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Harness {
  task: ShimTask;
  svc: ReturnType<ShimTask['service']>;
  id: string;
  bundle: string;
  stdout: string;
  topics: string[];
  shutdowns: number;
}

/** A bundle running `args` (busybox), and a ShimTask for it; exits are reaped every 10 ms. */
function setup(args: string[], opts: { runc?: string } = {}): Harness {
  const id = `t-${randomUUID().slice(0, 8)}`;
  const bundle = path.join(work, id);
  mkdirSync(bundle);
  const runcRoot = path.join(work, `${id}-runc`);
  mkdirSync(runcRoot);
  execFileSync(RUNC, ['spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as {
    process: { args: string[]; terminal: boolean; env: string[] };
    root: { readonly: boolean };
  };
  spec.process.args = args;
  spec.process.terminal = false;
  spec.root.readonly = false;
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
  const stdout = path.join(bundle, 'stdout.log');
  writeFileSync(stdout, '');
  const h: Harness = {
    task: undefined as unknown as ShimTask,
    svc: undefined as unknown as ReturnType<ShimTask['service']>,
    id,
    bundle,
    stdout,
    topics: [],
    shutdowns: 0,
  };
  h.task = new ShimTask({
    id,
    socketDir: work,
    namespace: 'unit',
    bundle,
    runcBinary: opts.runc ?? RUNC,
    runcRoot,
    events: { publish: (topic: string) => void h.topics.push(topic) },
    shutdown: () => void h.shutdowns++,
  });
  h.svc = h.task.service();
  started.push({ task: h.task, bundle, runcRoot, id });
  // As the shim's main does: reap on SIGCHLD, and on a timer as a safety net.
  clearInterval(reaper);
  if (onSigchld) process.off('SIGCHLD', onSigchld);
  onSigchld = () => h.task.checkExits();
  process.on('SIGCHLD', onSigchld);
  reaper = setInterval(() => h.task.checkExits(), 50);
  return h;
}

const ctx: CallContext = { metadata: {}, namespace: 'unit', signal: new AbortController().signal };

const rootfs = () => [{ type: 'bind', source: image, target: '', options: ['rbind', 'rw'] }];

async function createAndStart(h: Harness): Promise<number> {
  const { pid } = await h.svc.create!(
    {
      id: h.id,
      bundle: h.bundle,
      rootfs: rootfs(),
      terminal: false,
      stdin: '',
      stdout: h.stdout,
      stderr: h.stdout,
      checkpoint: '',
      parentCheckpoint: '',
      options: undefined,
    },
    ctx,
  );
  await h.svc.start!({ id: h.id, execId: '' }, ctx);
  return pid;
}

const isMounted = (dir: string) => readFileSync('/proc/self/mounts', 'utf8').includes(` ${dir} `);

describe('ShimTask with the real runc', () => {
  it('creates, starts, waits for and deletes a task, keeping its exit status on disk', async () => {
    const h = setup(['sh', '-c', 'echo hello from $0; exit 3']);
    const { pid } = await h.svc.create!(
      {
        id: h.id,
        bundle: h.bundle,
        rootfs: rootfs(),
        terminal: false,
        stdin: '',
        stdout: h.stdout,
        stderr: h.stdout,
        checkpoint: '',
        parentCheckpoint: '',
        options: undefined,
      },
      ctx,
    );
    expect(pid).toBeGreaterThan(0);
    expect(isMounted(path.join(h.bundle, 'rootfs'))).toBe(true);
    expect(await h.svc.state!({ id: h.id, execId: '' }, ctx)).toMatchObject({ pid, status: Status.CREATED });
    expect((await h.svc.start!({ id: h.id, execId: '' }, ctx)).pid).toBe(pid);
    const exit = await h.svc.wait!({ id: h.id, execId: '' }, ctx);
    expect(exit.exitStatus).toBe(3);
    expect(readFileSync(h.stdout, 'utf8')).toBe('hello from sh\n');
    expect(await h.svc.state!({ id: h.id, execId: '' }, ctx)).toMatchObject({
      status: Status.STOPPED,
      exitStatus: 3,
    });
    expect(ShimTask.lastExit(h.bundle)?.status).toBe(3);
    const del = await h.svc.delete!({ id: h.id, execId: '' }, ctx);
    expect(del).toMatchObject({ pid, exitStatus: 3 });
    expect(isMounted(path.join(h.bundle, 'rootfs'))).toBe(false);
    expect(execFileSync(RUNC, ['--root', h.task.runc.o.root, 'list', '-q']).toString().trim()).toBe('');
    expect(h.topics).toEqual(['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']);
    await expect(h.svc.state!({ id: h.id, execId: '' }, ctx)).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('kills a running task and reports 128 + the signal', async () => {
    const h = setup(['sleep', '1000']);
    await createAndStart(h);
    expect((await h.svc.state!({ id: h.id, execId: '' }, ctx)).status).toBe(Status.RUNNING);
    await expect(h.svc.delete!({ id: h.id, execId: '' }, ctx)).rejects.toMatchObject({
      kind: 'FailedPrecondition',
    });
    await h.svc.kill!({ id: h.id, execId: '', signal: 9, all: false }, ctx);
    expect((await h.svc.wait!({ id: h.id, execId: '' }, ctx)).exitStatus).toBe(137);
    await expect(h.svc.kill!({ id: h.id, execId: '', signal: 9, all: false }, ctx)).rejects.toMatchObject({
      kind: 'NotFound',
    });
    await h.svc.delete!({ id: h.id, execId: '' }, ctx);
  });

  it('runs an exec beside the init, with its own exit status', async () => {
    const h = setup(['sleep', '1000']);
    await createAndStart(h);
    const execOut = path.join(h.bundle, 'exec.log');
    writeFileSync(execOut, '');
    const processSpec = JSON.parse(readFileSync(path.join(h.bundle, 'config.json'), 'utf8')) as {
      process: { args: string[] };
    };
    const spec = { ...processSpec.process, args: ['sh', '-c', 'echo in exec; exit 5'] };
    const req = {
      id: h.id,
      execId: 'e1',
      terminal: false,
      stdin: '',
      stdout: execOut,
      stderr: execOut,
      spec: {
        typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Process',
        value: Buffer.from(JSON.stringify(spec)),
      },
    };
    await h.svc.exec!(req, ctx);
    await expect(h.svc.exec!(req, ctx)).rejects.toMatchObject({ kind: 'AlreadyExists' });
    expect((await h.svc.state!({ id: h.id, execId: 'e1' }, ctx)).status).toBe(Status.CREATED);
    const { pid } = await h.svc.start!({ id: h.id, execId: 'e1' }, ctx);
    expect(pid).toBeGreaterThan(0);
    expect((await h.svc.wait!({ id: h.id, execId: 'e1' }, ctx)).exitStatus).toBe(5);
    expect(readFileSync(execOut, 'utf8')).toBe('in exec\n');
    expect((await h.svc.state!({ id: h.id, execId: '' }, ctx)).status).toBe(Status.RUNNING);
    expect((await h.svc.delete!({ id: h.id, execId: 'e1' }, ctx)).exitStatus).toBe(5);
    await expect(h.svc.state!({ id: h.id, execId: 'e1' }, ctx)).rejects.toMatchObject({ kind: 'NotFound' });
    // Each process's events in lifecycle order: its exit is never announced before it started.
    expect(h.topics).toEqual([
      '/tasks/create',
      '/tasks/start',
      '/tasks/exec-added',
      '/tasks/exec-started',
      '/tasks/exit',
    ]);
    await h.svc.kill!({ id: h.id, execId: '', signal: 9, all: false }, ctx);
    await h.svc.wait!({ id: h.id, execId: '' }, ctx);
  });

  it('pauses and resumes, and lists the pids', async () => {
    const h = setup(['sleep', '1000']);
    const pid = await createAndStart(h);
    expect((await h.svc.pids!({ id: h.id }, ctx)).processes.map((p) => p.pid)).toEqual([pid]);
    await h.svc.pause!({ id: h.id }, ctx);
    expect((await h.svc.state!({ id: h.id, execId: '' }, ctx)).status).toBe(Status.PAUSED);
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]).toMatch(/[DST]/);
    await h.svc.resume!({ id: h.id }, ctx);
    expect((await h.svc.state!({ id: h.id, execId: '' }, ctx)).status).toBe(Status.RUNNING);
    expect(h.topics).toEqual(expect.arrayContaining(['/tasks/paused', '/tasks/resumed']));
    await h.svc.kill!({ id: h.id, execId: '', signal: 9, all: false }, ctx);
    await h.svc.wait!({ id: h.id, execId: '' }, ctx);
  });

  it('refuses a second create, a second start and a resize without a terminal', async () => {
    const h = setup(['sleep', '1000']);
    await createAndStart(h);
    await expect(createAndStart(h)).rejects.toMatchObject({ kind: 'AlreadyExists' });
    await expect(h.svc.start!({ id: h.id, execId: '' }, ctx)).rejects.toMatchObject({
      kind: 'FailedPrecondition',
    });
    await expect(
      h.svc.resizePty!({ id: h.id, execId: '', width: 80, height: 24 }, ctx),
    ).rejects.toMatchObject({
      kind: 'FailedPrecondition',
    });
    await expect(h.svc.wait!({ id: h.id, execId: 'nope' }, ctx)).rejects.toMatchObject({ kind: 'NotFound' });
    await h.svc.kill!({ id: h.id, execId: '', signal: 9, all: false }, ctx);
    await h.svc.wait!({ id: h.id, execId: '' }, ctx);
  });

  it("fails a create whose process cannot run, with runc's message, and unmounts the rootfs", async () => {
    const h = setup(['/bin/does-not-exist']);
    await expect(createAndStart(h)).rejects.toThrow(/runc create failed: .*does-not-exist/);
    expect(isMounted(path.join(h.bundle, 'rootfs'))).toBe(false);
    await expect(h.svc.state!({ id: h.id, execId: '' }, ctx)).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('asks to shut down only when told to, or once the task is gone', async () => {
    const h = setup(['true']);
    await createAndStart(h);
    await h.svc.shutdown!({ id: h.id, now: false }, ctx);
    await new Promise((r) => setImmediate(r));
    expect(h.shutdowns).toBe(0);
    await h.svc.wait!({ id: h.id, execId: '' }, ctx);
    await h.svc.delete!({ id: h.id, execId: '' }, ctx);
    await h.svc.shutdown!({ id: h.id, now: false }, ctx);
    await new Promise((r) => setImmediate(r));
    expect(h.shutdowns).toBe(1);
  });
});

describe('ShimTask with a fake runc', () => {
  it('still deletes the task and unmounts its rootfs when `runc delete` fails', async () => {
    const fake = path.join(work, 'runc-delete-fails');
    writeFileSync(
      fake,
      `#!/bin/sh\nfor a in "$@"; do if [ "$a" = delete ]; then echo "runc delete: refused by the fake" >&2; exit 1; fi; done\nexec ${RUNC} "$@"\n`,
    );
    chmodSync(fake, 0o755);
    const h = setup(['true'], { runc: fake });
    const pid = await createAndStart(h);
    await h.svc.wait!({ id: h.id, execId: '' }, ctx);
    expect(await h.svc.delete!({ id: h.id, execId: '' }, ctx)).toMatchObject({ pid, exitStatus: 0 });
    expect(isMounted(path.join(h.bundle, 'rootfs'))).toBe(false);
    expect(h.topics.at(-1)).toBe('/tasks/delete');
    expect(existsSync(path.join(h.bundle, 'exit-init.json'))).toBe(true);
  });
});
