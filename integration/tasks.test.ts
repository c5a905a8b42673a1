// Issue 4 end to end: the real ctr runs containers through tsctrd, tsctr-shim and runc.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, type Tsctrd, run } from './harness.js';
import { type BusyboxDaemon, busyboxDaemon } from './fixture.js';
import { until } from './wait.js';

let d: Tsctrd;
let ref: string;
let fx: BusyboxDaemon;

beforeAll(async () => {
  fx = await busyboxDaemon();
  ({ d, ref } = fx);
});
afterAll(async () => {
  await fx?.stop();
});

const taskRow = async (id: string) =>
  (await d.ctr(['tasks', 'ls'])).stdout
    .split('\n')
    .find((l) => l.startsWith(`${id} `) || l.startsWith(`${id}\t`)) ?? '';

describe('ctr run', () => {
  it('prints the output and exits 0', async () => {
    const r = await d.ctr(['run', '--rm', ref, 'hello1', 'echo', 'hello'], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello\n');
    expect(r.code).toBe(0);
    expect((await d.ctr(['containers', 'ls', '-q'])).stdout).not.toContain('hello1');
  });

  it('exits with the container exit code', async () => {
    const r = await d.ctr(['run', '--rm', ref, 'exit7', 'sh', '-c', 'exit 7'], { timeoutMs: 30_000 });
    expect(r.code).toBe(7);
  });

  it('passes piped stdin through the FIFO, ending at EOF', async () => {
    const r = await d.ctr(['run', '--rm', ref, 'cat1', 'cat'], { input: 'piped in\n', timeoutMs: 30_000 });
    expect(r.stdout).toBe('piped in\n');
    expect(r.code).toBe(0);
  });
});

describe('run -t through tmux', () => {
  for (const client of ['ctr', 'tsctr'] as const) {
    it(`${client} run -t behaves like a terminal: prompt, resize, exit code`, async () => {
      const session = `tsctr-tty-${client}-${process.pid}`;
      const exitFile = path.join(d.dir, `${client}.exit`);
      const script = path.join(d.dir, `${client}-tty.sh`);
      const cli = client === 'ctr' ? 'ctr' : `${process.execPath} ${path.join(DIST, 'tsctr.js')}`;
      writeFileSync(
        script,
        `${cli} -a ${d.address} run -t --rm ${ref} tty-${client} sh\necho "EXIT=$?" > ${exitFile}\n`,
      );
      const tmux = (...a: string[]) => run('tmux', a);
      const screen = async () => (await tmux('capture-pane', '-p', '-t', session)).stdout;
      expect(
        (await tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', `sh ${script}`)).code,
      ).toBe(0);
      try {
        await until(async () => /^\/ #\s*$/m.test(await screen()));
        await tmux('send-keys', '-t', session, 'stty size; tty', 'Enter');
        await until(async () => /^30 100$/m.test(await screen()));
        expect(await screen()).toMatch(/^\/dev\/pts\/\d+$/m);
        await tmux('resize-window', '-t', session, '-x', '120', '-y', '40');
        await new Promise((r) => setTimeout(r, 300));
        await tmux('send-keys', '-t', session, 'clear; stty size', 'Enter');
        await until(async () => /^40 120$/m.test(await screen()));
        await tmux('send-keys', '-t', session, 'exit 3', 'Enter');
        await until(async () => existsSync(exitFile));
        expect(readFileSync(exitFile, 'utf8').trim()).toBe('EXIT=3');
      } finally {
        await tmux('kill-session', '-t', session);
      }
    });
  }
});

describe('detached tasks', () => {
  it('runs -d, lists RUNNING, execs, pauses, resumes, and is killed to STOPPED 143', async () => {
    // PID 1 of a container ignores signals it has no handler for: trap TERM as a real service would.
    const r = await d.ctr(
      ['run', '-d', ref, 'bg1', 'sh', '-c', 'trap "exit 143" TERM; while true; do sleep 1; done'],
      { timeoutMs: 30_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(await taskRow('bg1')).toMatch(/^bg1\s+\d+\s+RUNNING$/);
    const ex = await d.ctr(
      ['tasks', 'exec', '--exec-id', 'e1', 'bg1', 'sh', '-c', 'echo from exec; exit 3'],
      { timeoutMs: 30_000 },
    );
    expect(ex.stdout).toBe('from exec\n');
    expect(ex.code).toBe(3);
    const ps = await d.ctr(['tasks', 'ps', 'bg1']);
    expect(ps.stdout).toMatch(/PID/);
    const metrics = await d.ctr(['tasks', 'metrics', 'bg1']);
    expect(metrics.code, metrics.stderr).toBe(0);
    expect(metrics.stdout).toMatch(/memory\.usage_in_bytes\s+[1-9]\d*/);
    expect(metrics.stdout).toMatch(/pids\.current\s+[1-9]/);
    expect((await d.ctr(['tasks', 'pause', 'bg1'])).code).toBe(0);
    expect(await taskRow('bg1')).toMatch(/PAUSED/);
    expect((await d.ctr(['tasks', 'resume', 'bg1'])).code).toBe(0);
    expect(await taskRow('bg1')).toMatch(/RUNNING/);
    const rm = await d.ctr(['containers', 'rm', 'bg1']);
    expect(rm.code, rm.stderr).not.toBe(0);
    expect((await d.ctr(['containers', 'ls', '-q'])).stdout).toContain('bg1');
    expect((await d.ctr(['tasks', 'kill', 'bg1'])).code).toBe(0);
    await until(async () => /STOPPED/.test(await taskRow('bg1')));
    const tasks = (await d.ctr(['tasks', 'ls'])).stdout;
    expect(tasks).toMatch(/bg1\s+\d+\s+STOPPED/);
    const del = await d.ctr(['tasks', 'rm', 'bg1']);
    expect(del.code).toBe(0);
    expect(del.stderr + del.stdout).toMatch(/143/);
    expect((await d.ctr(['containers', 'rm', 'bg1'])).code).toBe(0);
  });

  it('shows task events in ctr events', async () => {
    const ev = spawn('ctr', ['-a', d.address, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    ev.stdout.on('data', (b: Buffer) => (out += b));
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect((await d.ctr(['run', '--rm', ref, 'evt', 'true'], { timeoutMs: 30_000 })).code).toBe(0);
      await until(async () => out.includes('/tasks/delete'), 5000);
    } finally {
      ev.kill();
    }
    const topics = out
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[5])
      .filter((t) => t.startsWith('/tasks'));
    expect(topics).toEqual(['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']);
  });
});

describe('out of memory', () => {
  it('kills the container (137) and publishes /tasks/oom', async () => {
    const ev = spawn('ctr', ['-a', d.address, 'events', 'topic~="/tasks/(oom|exit)"'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    ev.stdout.on('data', (b: Buffer) => (out += b));
    try {
      await new Promise((r) => setTimeout(r, 300));
      const r = await d.ctr(
        [
          'run',
          '--rm',
          '--memory-limit',
          String(8 << 20),
          ref,
          'oom1',
          'sh',
          '-c',
          'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived',
        ],
        { timeoutMs: 30_000 },
      );
      expect(r.code).toBe(137);
      expect(r.stdout).not.toContain('survived');
      await until(async () => out.includes('/tasks/exit'), 5000);
    } finally {
      ev.kill();
    }
    const topics = out
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[5]);
    expect(topics).toEqual(['/tasks/oom', '/tasks/exit']);
  });
});

describe('tsctr run, tasks and containers', () => {
  it('runs attached with env, cwd and exit code, and detached with exec, kill and rm', async () => {
    const r = await d.tsctr(
      [
        'run',
        '--rm',
        '--env',
        'GREETING=hi there',
        '--cwd',
        '/tmp',
        ref,
        'ts1',
        'sh',
        '-c',
        'echo "$GREETING from $(pwd)"; exit 5',
      ],
      {
        timeoutMs: 30_000,
      },
    );
    expect(r.stdout).toBe('hi there from /tmp\n');
    expect(r.code).toBe(5);
    expect((await d.tsctr(['containers', 'ls', '-q'])).stdout).not.toContain('ts1');
    const cat = await d.tsctr(['run', '--rm', ref, 'ts2', 'cat'], {
      input: 'through tsctr\n',
      timeoutMs: 30_000,
    });
    expect(cat.stdout).toBe('through tsctr\n');
    expect((await d.tsctr(['run', '-d', '--memory-limit', '64m', ref, 'ts3', 'sleep', '600'])).code).toBe(0);
    expect((await d.tsctr(['tasks', 'ls'])).stdout).toMatch(/ts3\s+\d+\s+RUNNING/);
    const info = JSON.parse((await d.tsctr(['containers', 'info', 'ts3'])).stdout) as {
      spec: { linux: { resources: { memory: { limit: number } } } };
    };
    expect(info.spec.linux.resources.memory.limit).toBe(64 << 20);
    const ex = await d.tsctr(
      ['tasks', 'exec', '--exec-id', 'x', 'ts3', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; exit 4'],
      { timeoutMs: 30_000 },
    );
    expect(ex.stdout).toBe('sleep 600 ');
    expect(ex.code).toBe(4);
    expect((await d.tsctr(['tasks', 'kill', '-s', 'KILL', 'ts3'])).code).toBe(0);
    await until(async () => /STOPPED/.test(await taskRow('ts3')));
    const rm = await d.tsctr(['tasks', 'rm', 'ts3']);
    expect(rm.stderr).toContain('exited with status 137');
    expect((await d.tsctr(['containers', 'rm', 'ts3'])).code).toBe(0);
  });
});

describe('kill -9 of one shim', () => {
  it('reads STOPPED 255, hangs nothing, and leaves no mount or process', async () => {
    expect((await d.ctr(['run', '-d', ref, 'bg4', 'sleep', '600'])).code).toBe(0);
    const pid = Number((await taskRow('bg4')).split(/\s+/)[1]);
    // The shim is the container init's parent (its subreaper), however it was started (spare or not).
    const shimPid = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    expect(readFileSync(`/proc/${shimPid}/cmdline`, 'utf8')).toContain('tsctr-shim');
    expect(shimPid).toBeDefined();
    process.kill(Number(shimPid), 'SIGKILL');
    await until(async () => /STOPPED/.test(await taskRow('bg4')));
    expect(await taskRow('bg4')).toMatch(/^bg4\s+\d+\s+STOPPED$/);
    const rm = await d.ctr(['tasks', 'rm', 'bg4'], { timeoutMs: 10_000 });
    expect(rm.stderr + rm.stdout).toMatch(/255/);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain('/tasks/default/bg4');
    await until(
      async () =>
        !existsSync(`/proc/${pid}`) ||
        /^Z/m.test(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? ''),
    );
    expect((await d.ctr(['containers', 'rm', 'bg4'])).code).toBe(0);
  });
});

describe('kill -9 of tsctrd with running containers', () => {
  it('keeps all 20 running, reconnects, reports an exit that happened meanwhile', async () => {
    const extra = Array.from({ length: 18 }, (_, i) => `many${i}`);
    for (const id of extra) expect((await d.ctr(['run', '-d', ref, id, 'sleep', '600'])).code).toBe(0);
    expect((await d.ctr(['run', '-d', ref, 'bg2', 'sleep', '600'])).code).toBe(0);
    expect((await d.ctr(['run', '-d', ref, 'bg3', 'sh', '-c', 'sleep 1; exit 42'])).code).toBe(0);
    const pid = Number((await taskRow('bg2')).split(/\s+/)[1]);
    await d.kill9();
    await new Promise((r) => setTimeout(r, 1500));
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    await d.start();
    expect(await taskRow('bg2')).toMatch(/RUNNING/);
    const listed = (await d.ctr(['tasks', 'ls'])).stdout;
    for (const id of extra) expect(listed).toMatch(new RegExp(`^${id}\\s+\\d+\\s+RUNNING$`, 'm'));
    for (const id of extra) expect((await d.ctr(['tasks', 'kill', '-s', 'SIGKILL', id])).code).toBe(0);
    await until(
      async () =>
        (await d.ctr(['tasks', 'ls'])).stdout.match(/many\d+\s+\d+\s+STOPPED/g)?.length === extra.length,
    );
    for (const id of extra) {
      expect((await d.ctr(['tasks', 'rm', id])).code).toBe(0);
      expect((await d.ctr(['containers', 'rm', id])).code).toBe(0);
    }
    expect(Number((await taskRow('bg2')).split(/\s+/)[1])).toBe(pid);
    expect(await taskRow('bg3')).toMatch(/STOPPED/);
    const rm3 = await d.ctr(['tasks', 'rm', 'bg3']);
    expect(rm3.stderr + rm3.stdout).toMatch(/42/);
    expect((await d.ctr(['tasks', 'kill', '-s', 'SIGKILL', 'bg2'])).code).toBe(0);
    await until(async () => /STOPPED/.test(await taskRow('bg2')));
    expect((await d.ctr(['tasks', 'rm', 'bg2'])).code).toBe(0);
  });
});
