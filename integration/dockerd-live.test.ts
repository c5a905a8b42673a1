// tsctr-dockerd with real clients beyond the CLI's one-shot commands: an interactive terminal driven
// through tmux, dockerode from npm, and kill -9 of both daemons with containers running.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, type Dockerd, dockerFixture } from './dockerd-harness.js';
import { untilValue as until } from './wait.js';

let fx: DockerFixture;
let d: Dockerd;
let ref: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  fx = await dockerFixture();
  ({ d, ref } = fx);
}, 60_000);

afterAll(async () => {
  await fx?.stop();
});

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

describe('docker run -it through a real terminal (tmux)', () => {
  it('shows a prompt, follows a resize, exits with the shell code, and detaches with ctrl-p ctrl-q', async () => {
    const session = `tsctr-it-${process.pid}`;
    const env = Object.entries(d.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '100',
      '-y',
      '30',
      `env ${env} docker run -it --rm --name tty1 ${ref} sh; echo EXIT=$?; sleep 30`,
    );
    try {
      const screen = () => tmux('capture-pane', '-p', '-t', session);
      await until(() => (screen().includes('/ #') ? true : undefined));
      tmux('send-keys', '-t', session, 'stty size', 'Enter');
      await until(() => (screen().includes('30 100') ? true : undefined));
      tmux('resize-window', '-t', session, '-x', '120', '-y', '40');
      await sleep(500);
      tmux('send-keys', '-t', session, 'clear; stty size', 'Enter');
      await until(() => (screen().includes('40 120') ? true : undefined));
      tmux('send-keys', '-t', session, 'exit 3', 'Enter');
      await until(() => (screen().includes('EXIT=3') ? true : undefined));
    } finally {
      tmux('kill-session', '-t', session);
    }
    const session2 = `tsctr-it2-${process.pid}`;
    tmux(
      'new-session',
      '-d',
      '-s',
      session2,
      '-x',
      '100',
      '-y',
      '30',
      `env ${env} docker run -it --name tty2 ${ref} sh; echo EXIT=$?; sleep 30`,
    );
    try {
      const screen = () => tmux('capture-pane', '-p', '-t', session2);
      await until(() => (screen().includes('/ #') ? true : undefined));
      tmux('send-keys', '-t', session2, 'C-p', 'C-q');
      await until(() => (screen().includes('EXIT=0') ? true : undefined));
    } finally {
      tmux('kill-session', '-t', session2);
    }
    expect((await d.docker(['inspect', '-f', '{{.State.Running}}', 'tty2'])).stdout.trim()).toBe('true');
    const exec = `tsctr-it3-${process.pid}`;
    tmux(
      'new-session',
      '-d',
      '-s',
      exec,
      '-x',
      '100',
      '-y',
      '30',
      `env ${env} docker exec -it tty2 sh; echo EXIT=$?; sleep 30`,
    );
    try {
      const screen = () => tmux('capture-pane', '-p', '-t', exec);
      await until(() => (screen().includes('/ #') ? true : undefined));
      tmux('send-keys', '-t', exec, 'tty; exit 5', 'Enter');
      await until(() => (screen().includes('EXIT=5') ? true : undefined));
      expect(screen()).toMatch(/\/dev\/pts\/\d+/);
    } finally {
      tmux('kill-session', '-t', exec);
    }
    await d.docker(['rm', '-f', 'tty2']);
  });
});

describe('dockerode', () => {
  it('creates, attaches, starts, waits for and removes a container', async () => {
    const docker = new Docker({ socketPath: d.socket });
    const c = await docker.createContainer({
      Image: ref,
      Cmd: ['sh', '-c', 'read x; echo got $x; echo err >&2; exit 2'],
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const out = new PassThrough();
    const err = new PassThrough();
    const outText: Buffer[] = [];
    const errText: Buffer[] = [];
    out.on('data', (b: Buffer) => outText.push(b));
    err.on('data', (b: Buffer) => errText.push(b));
    docker.modem.demuxStream(stream, out, err);
    await c.start();
    stream.write('hello\n');
    stream.end();
    const res = (await c.wait()) as { StatusCode: number };
    await until(() => (Buffer.concat(errText).length > 0 ? true : undefined), 5000);
    expect(res.StatusCode).toBe(2);
    expect(Buffer.concat(outText).toString()).toBe('got hello\n');
    expect(Buffer.concat(errText).toString()).toBe('err\n');
    const info = await c.inspect();
    expect(info.State.ExitCode).toBe(2);
    await c.remove();
    await expect(c.inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('live restore', () => {
  it('kill -9 of tsctr-dockerd and tsctrd with 10 running: none stops, all are accounted for', async () => {
    const names = Array.from({ length: 9 }, (_, i) => `live${i}`);
    for (const n of names) {
      const r = await d.docker([
        'run',
        '-d',
        '--name',
        n,
        ref,
        'sh',
        '-c',
        'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.2; done',
      ]);
      expect(r.code, r.stderr).toBe(0);
    }
    await d.docker([
      'run',
      '-d',
      '--name',
      'flappy',
      '--restart',
      'always',
      ref,
      'sh',
      '-c',
      'sleep 1; exit 1',
    ]);
    const pids = new Map<string, string>();
    for (const n of names)
      pids.set(n, (await d.docker(['inspect', '-f', '{{.State.Pid}}', n])).stdout.trim());
    const flappyRestarts = Number(
      (await d.docker(['inspect', '-f', '{{.RestartCount}}', 'flappy'])).stdout.trim(),
    );
    await d.kill9();
    await d.tsctrd.kill9();
    await sleep(2500);
    // The processes never noticed.
    for (const pid of pids.values()) expect(() => process.kill(Number(pid), 0)).not.toThrow();
    await d.tsctrd.start();
    await d.start();
    const ps = await d.docker(['ps', '--format', '{{.Names}} {{.State}}']);
    for (const n of names) expect(ps.stdout).toContain(`${n} running`);
    for (const n of names)
      expect((await d.docker(['inspect', '-f', '{{.State.Pid}}', n])).stdout.trim()).toBe(pids.get(n));
    // Logs continue after the restart.
    const before = (await d.docker(['logs', '--tail', '1', 'live0'])).stdout.trim();
    await sleep(1000);
    const after = (await d.docker(['logs', '--tail', '1', 'live0'])).stdout.trim();
    expect(Number(after.replace('tick', ''))).toBeGreaterThan(Number(before.replace('tick', '')));
    // The container that died meanwhile was restarted by its policy.
    await until(async () => {
      const n = Number((await d.docker(['inspect', '-f', '{{.RestartCount}}', 'flappy'])).stdout.trim());
      return n > flappyRestarts ? n : undefined;
    });
    const rm = await d.docker(['rm', '-f', ...names, 'flappy']);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await d.docker(['ps', '-aq'])).stdout.trim()).toBe('');
  }, 90_000);

  it('kill -9 of tsctrd alone: tsctr-dockerd reconnects, exits during the outage are handled', async () => {
    await d.docker([
      'run',
      '-d',
      '--name',
      'steady',
      ref,
      'sh',
      '-c',
      'i=0; while true; do i=$((i+1)); echo n$i; sleep 0.2; done',
    ]);
    await d.docker([
      'run',
      '-d',
      '--name',
      'short',
      '--restart',
      'on-failure:1',
      ref,
      'sh',
      '-c',
      'sleep 1; exit 4',
    ]);
    const pid = (await d.docker(['inspect', '-f', '{{.State.Pid}}', 'steady'])).stdout.trim();
    await d.tsctrd.kill9();
    await sleep(2000); // `short` exits while tsctrd is away
    expect(() => process.kill(Number(pid), 0)).not.toThrow();
    await d.tsctrd.start();
    // The exit is collected once tsctrd is back, and the policy restarts it once.
    await until(async () => {
      const r = (
        await d.docker(['inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}', 'short'])
      ).stdout.trim();
      return r === '1 exited 4' ? r : undefined;
    }, 20_000);
    expect(
      (await d.docker(['inspect', '-f', '{{.State.Pid}} {{.State.Running}}', 'steady'])).stdout.trim(),
    ).toBe(`${pid} true`);
    const before = Number((await d.docker(['logs', '--tail', '1', 'steady'])).stdout.trim().slice(1));
    await sleep(800);
    expect(
      Number((await d.docker(['logs', '--tail', '1', 'steady'])).stdout.trim().slice(1)),
    ).toBeGreaterThan(before);
    expect((await d.docker(['exec', 'steady', 'echo', 'ok'])).stdout).toBe('ok\n');
    await d.docker(['rm', '-f', 'steady', 'short']);
  }, 60_000);

  it('sweeps what a crash between a removal and its cleanup left in tsctrd', async () => {
    // A container tsctr-dockerd has no record of, with its task running and its snapshot: what a kill
    // -9 right after `docker rm -f` answered would leave.
    const orphan = randomBytes(32).toString('hex');
    const r = await d.tsctrd.ctr(['run', '-d', ref, orphan, 'sleep', '600'], { ns: 'moby' });
    expect(r.code, r.stderr).toBe(0);
    await d.kill9();
    await d.start();
    await until(async () => {
      const c = await d.tsctrd.ctr(['containers', 'ls', '-q'], { ns: 'moby' });
      const s = await d.tsctrd.ctr(['snapshots', 'ls'], { ns: 'moby' });
      return !c.stdout.includes(orphan) && !s.stdout.includes(orphan) ? true : undefined;
    });
    expect((await d.tsctrd.ctr(['tasks', 'ls'], { ns: 'moby' })).stdout).not.toContain(orphan);
  });
});
