// The Docker core's container lifecycle without a live tsctrd: the real client against a fake
// (testing/fake-tsctrd.ts). Start, exit, restart policy, --rm, removal, start errors and restore.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connection } from '../../../client/connection.js';
import { Engine } from '../engine.js';
import type { ExitInfo, LifecycleHooks, RestoredState } from '../lifecycle.js';
import { FakeTsctrd } from '../testing/fake-tsctrd.js';
import { type ContainerRecord, type HostConfig, createdState } from '../types.js';
import { removeContainer } from './remove.js';
import { restartPolicyHook } from './restart-policy.js';
import { restoreContainers } from './restore.js';
import { startContainer } from './start.js';
import { stopContainer } from './stop.js';

let fake: FakeTsctrd;
let conn: Connection;
let root: string;
let e: Engine;
let steps: string[];

function engine(): Engine {
  const eng = new Engine(conn, {
    dataRoot: path.join(root, 'data'),
    execRoot: path.join(root, 'exec'),
    log: pino({ level: 'silent' }),
    containerdAddress: fake.server.address,
  });
  const recorder: LifecycleHooks = {
    name: 'recorder',
    sandbox: ({ rec }) => void steps.push(`sandbox ${rec.Name.slice(1)}`),
    started: (rec) => void steps.push(`started ${rec.Name.slice(1)}`),
    exited: (rec, i: ExitInfo) =>
      void steps.push(`exited ${rec.Name.slice(1)} ${i.code}${i.startFailed ? ' start-failed' : ''}`),
    removed: (rec) => void steps.push(`removed ${rec.Name.slice(1)}`),
    restored: (rec, s: RestoredState) => void steps.push(`restored ${rec.Name.slice(1)} ${s}`),
  };
  eng.lifecycle.register(recorder);
  eng.lifecycle.register(restartPolicyHook(eng));
  return eng;
}

function record(name: string, hc: HostConfig = {}): ContainerRecord {
  const id = `${name.padEnd(12, '0')}${'a'.repeat(52)}`.slice(0, 64);
  const rec: ContainerRecord = {
    Id: id,
    Name: `/${name}`,
    Created: new Date().toISOString(),
    Path: 'sh',
    Args: [],
    Config: { Image: 'busybox', Labels: {}, Tty: false, OpenStdin: false },
    HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: {} }, ...hc },
    NetworkingConfig: {},
    Image: 'sha256:0',
    State: createdState(),
    RestartCount: 0,
    Mounts: [],
    ManuallyStopped: false,
    HasBeenStarted: false,
    LogPath: '',
    HostnamePath: '',
    HostsPath: '',
    ResolvConfPath: '',
  };
  e.store.reserve(rec.Name, id);
  rec.LogPath = path.join(e.store.dir(id), `${id}-json.log`);
  e.store.save(rec);
  fake.containers.add(id);
  return rec;
}

const until = async (what: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

beforeEach(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tsctr-core-'));
  fake = new FakeTsctrd();
  conn = await fake.start();
  steps = [];
  e = engine();
});

afterEach(async () => {
  conn.close();
  await fake.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('the Docker core over the client', () => {
  it('starts a container, logs its output, records its exit and tells the hooks in order', async () => {
    const rec = record('web');
    await startContainer(e, rec);
    expect(rec.State).toMatchObject({ Status: 'running', Running: true });
    // The exit code is on disk before the task that holds it is deleted (a kill in between must not
    // leave a running record whose task is gone: restore would report 255).
    let onDiskAtDelete: unknown;
    fake.beforeTaskDelete = (id) => (onDiskAtDelete = e.store.load().find((r) => r.Id === id)?.State);
    expect(rec.State.Pid).toBe(fake.tasks.get(rec.Id)!.pid);
    const exited = new Promise<number>((r) => e.runtime(rec.Id).emitter.once('exit', r));
    fake.exit(rec.Id, 3);
    expect(await exited).toBe(3);
    await until(() => steps.includes('exited web 3'));
    expect(rec.State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 3, Pid: 0 });
    expect(steps).toEqual(['sandbox web', 'started web', 'exited web 3']);
    await until(() => readFileSync(rec.LogPath, 'utf8').includes('run of'));
    const line = JSON.parse(readFileSync(rec.LogPath, 'utf8').split('\n')[0]) as Record<string, string>;
    expect(line).toMatchObject({ log: `run of ${rec.Id}\n`, stream: 'stdout' });
    // The task was deleted once its exit was recorded.
    expect(fake.tasks.has(rec.Id)).toBe(false);
    expect(onDiskAtDelete).toMatchObject({ Status: 'exited', Running: false, ExitCode: 3 });
  });

  it('applies on-failure:2 once per exit, and never after a clean exit or a stop', async () => {
    const rec = record('flaky', { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } });
    await startContainer(e, rec);
    for (let i = 0; i < 3; i++) {
      await until(() => fake.tasks.get(rec.Id)?.status === 2 /* RUNNING */);
      fake.exit(rec.Id, 1);
      await until(() => steps.filter((s) => s === 'exited flaky 1').length === i + 1);
    }
    await until(() => !rec.State.Restarting && !rec.State.Running);
    expect(rec.RestartCount).toBe(2);
    expect(steps.filter((s) => s.startsWith('started'))).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.tasks.has(rec.Id)).toBe(false);

    const always = record('always', { RestartPolicy: { Name: 'always' } });
    await startContainer(e, always);
    await stopContainer(e, always, 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(always.State).toMatchObject({ Running: false, Restarting: false });
    expect(always.RestartCount).toBe(0);
  });

  // Found by the chaos run: while tsctrd was down, every retry of the same restart counted again.
  it('counts a restart once per exit when its start fails and is retried', async () => {
    const rec = record('retried', { RestartPolicy: { Name: 'always' } });
    await startContainer(e, rec);
    await until(() => fake.tasks.get(rec.Id)?.status === 2 /* RUNNING */);
    fake.failNextCreate = 'connection refused: tsctrd restarting';
    fake.exit(rec.Id, 1);
    await until(() => steps.filter((s) => s === 'started retried').length === 2, 10_000);
    expect(rec.RestartCount).toBe(1);
    expect(rec.State).toMatchObject({ Status: 'running', Running: true, Restarting: false });
    await stopContainer(e, rec, 1);
  });

  it('maps a runtime start error to the exit codes the CLI uses, and does not restart', async () => {
    const rec = record('bad', { RestartPolicy: { Name: 'always' } });
    fake.failNextCreate = 'exec: "nosuch": executable file not found in $PATH';
    await expect(startContainer(e, rec)).rejects.toThrow(/executable file not found/);
    expect(rec.State).toMatchObject({ Status: 'created', Running: false, ExitCode: 127 });
    expect(steps).toEqual(['sandbox bad', 'exited bad 127 start-failed']);
    await new Promise((r) => setTimeout(r, 300));
    expect(rec.RestartCount).toBe(0);
  });

  it('refuses to remove a running container unless forced, and --rm removes it at exit', async () => {
    const rec = record('busy');
    await startContainer(e, rec);
    await expect(removeContainer(e, rec, {})).rejects.toThrow(
      `You cannot remove a running container ${rec.Id}. Stop the container before attempting removal or force remove`,
    );
    await removeContainer(e, rec, { force: true });
    expect(e.store.has(rec.Id)).toBe(false);
    expect(steps.slice(-2)).toEqual(['exited busy 137', 'removed busy']);

    const tmp = record('tmp', { AutoRemove: true });
    await startContainer(e, tmp);
    const removed = new Promise<number>((r) => e.runtime(tmp.Id).emitter.once('removed', r));
    fake.exit(tmp.Id, 0);
    expect(await removed).toBe(0);
    expect(e.store.has(tmp.Id)).toBe(false);
  });

  it('after a restart, resumes a running container and records the exit of one that died meanwhile', async () => {
    const live = record('live');
    const died = record('died', { RestartPolicy: { Name: 'on-failure' } });
    const gone = record('gone');
    await startContainer(e, live);
    await startContainer(e, died);
    fake.containers.delete(gone.Id); // its create never reached tsctrd
    // The daemon goes away (its in-memory state with it); meanwhile `died` exits with 2.
    const livePid = live.State.Pid;
    fake.exit(died.Id, 2);
    steps = [];
    e = engine();
    await restoreContainers(e);
    const l = e.store.get(live.Id);
    expect(l.State).toMatchObject({ Running: true, Pid: livePid });
    expect(e.store.has(gone.Id)).toBe(false);
    expect(steps).toContain('restored live running');
    expect(steps).toContain('exited died 2');
    await until(() => e.store.get(died.Id).RestartCount === 1);
  });

  it('after a restart, starts an always container whose exit was recorded but never restarted (killed in between)', async () => {
    const rec = record('always', { RestartPolicy: { Name: 'always' } });
    await startContainer(e, rec);
    // As if the daemon died right after saving the exit: stopped on disk, no restart scheduled.
    e.runtime(rec.Id).emitter.removeAllListeners();
    const saved = e.store.get(rec.Id);
    saved.State = { ...saved.State, Status: 'exited', Running: false, Pid: 0, ExitCode: 0 };
    e.store.save(saved);
    fake.tasks.delete(rec.Id);
    steps = [];
    e = engine();
    await restoreContainers(e);
    expect(steps).toContain('restored always stopped');
    await until(() => e.store.get(rec.Id).State.Running && e.store.get(rec.Id).RestartCount === 1);
  });
});
