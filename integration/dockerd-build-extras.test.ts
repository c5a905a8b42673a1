// docker build beyond the happy path: BuildKit-like Dockerfile features on the classic /build
// (heredocs, RUN --mount), a client that goes away, hostile contexts and bad Dockerfiles, the build
// cache options (--cache-from, builder prune), compressed contexts over the raw API.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useBuildFixture } from './dockerd-build-fixture.js';
import { REPO, run } from './harness.js';
import { tarOf } from './testimages.js';

const bf = useBuildFixture('tsctr-build-x-');
const { ctx } = bf;
const build = bf.build.bind(bf);

/** The JSON lines of a raw POST /build answer. */
function lines(body: string): Array<Record<string, unknown>> {
  return body
    .split('\r\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('docker build: BuildKit-like features on the classic builder', () => {
  it('runs heredocs (RUN and COPY) and ignores # syntax=', async () => {
    const dir = ctx({
      Dockerfile: [
        '# syntax=docker/dockerfile:1',
        'FROM busybox',
        'ENV WHO=world',
        'RUN <<EOF',
        'echo "hello $WHO" > /hello.txt',
        'echo second line >> /hello.txt',
        'EOF',
        'RUN cat <<EOT > /quoted.txt',
        'literal $WHO',
        'EOT',
        'COPY <<EOF /copied.txt',
        'copied for $WHO',
        'EOF',
      ].join('\n'),
    });
    const r = await build(['-t', 'heredoc', dir]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = await bf.fx.d.docker([
      'run',
      '--rm',
      'heredoc',
      'cat',
      '/hello.txt',
      '/quoted.txt',
      '/copied.txt',
    ]);
    expect(run.stdout).toBe('hello world\nsecond line\nliteral world\ncopied for world\n');
  }, 120_000);

  it('keeps RUN --mount=type=cache directories per id across builds, and binds the context', async () => {
    const df = (n: string) =>
      [
        'FROM busybox',
        `RUN --mount=type=cache,target=/cache,id=c1 echo ${n} >> /cache/log && cat /cache/log > /seen.txt`,
        'RUN --mount=type=bind,source=data,target=/mnt/data cat /mnt/data/v.txt > /bound.txt',
      ].join('\n');
    const dir = ctx({ Dockerfile: df('first'), 'data/v.txt': 'bound\n' });
    const a = await build(['-t', 'cm', dir]);
    expect(a.code, a.stderr + a.stdout).toBe(0);
    writeFileSync(path.join(dir, 'Dockerfile'), df('second'));
    const b = await build(['-t', 'cm', dir]);
    expect(b.code, b.stderr + b.stdout).toBe(0);
    const run = await bf.fx.d.docker(['run', '--rm', 'cm', 'cat', '/seen.txt', '/bound.txt']);
    expect(run.stdout).toBe('first\nsecond\nbound\n');
    // The cache directory is not part of the image.
    expect((await bf.fx.d.docker(['run', '--rm', 'cm', 'ls', '/cache'])).stdout).toBe('');
    // A changed bound file busts the cache of that step.
    writeFileSync(path.join(dir, 'data/v.txt'), 'changed\n');
    const c = await build(['-t', 'cm', dir]);
    expect(c.code).toBe(0);
    expect((await bf.fx.d.docker(['run', '--rm', 'cm', 'cat', '/bound.txt'])).stdout).toBe('changed\n');
    // docker builder prune drops the cache directories and says how much space that gave back.
    const prune = await bf.fx.d.docker(['builder', 'prune', '-f']);
    expect(prune.code, prune.stderr).toBe(0);
    expect(prune.stdout).toMatch(/Total reclaimed space: [1-9][0-9.]*k?B/);
  }, 180_000);
});

describe('docker build: parallel stages', () => {
  it('runs independent stages at the same time and still prints the steps in order', async () => {
    const dir = ctx({
      Dockerfile: [
        'FROM busybox AS a',
        'RUN sleep 4 && echo a > /a',
        'FROM busybox AS b',
        'RUN sleep 4 && echo b > /b',
        'FROM busybox',
        'COPY --from=a /a /a',
        'COPY --from=b /b /b',
        'CMD ["cat", "/a", "/b"]',
      ].join('\n'),
    });
    const t0 = performance.now();
    const r = await build(['--no-cache', '-t', 'par', dir]);
    const ms = performance.now() - t0;
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const steps = [...r.stdout.matchAll(/^Step (\d+)\/8 : /gm)].map((m) => Number(m[1]));
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r.stdout.match(/"aux"|Successfully built/g)?.length).toBe(1);
    // One after the other: 8 s of sleeps plus the steps' own time; side by side about 4 s plus it.
    expect(ms).toBeLessThan(7800);
    expect((await bf.fx.d.docker(['run', '--rm', 'par'])).stdout).toBe('a\nb\n');
  }, 120_000);
});

describe('docker build: cancellation and bad input', () => {
  it('a client that goes away stops the RUN step and leaves no container', async () => {
    const dir = ctx({ Dockerfile: 'FROM busybox\nRUN echo started && sleep 60\n' });
    const child: ChildProcess = spawn('docker', ['build', '-t', 'cancelled', dir], {
      env: { ...process.env, ...bf.fx.d.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no output: ${out}`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\nstarted\n')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const ps1 = await bf.fx.d.docker(['ps', '-q']);
    expect(ps1.stdout.trim()).not.toBe('');
    child.kill('SIGINT');
    let left = 'x';
    for (let i = 0; i < 100 && left !== ''; i++) {
      await new Promise((r) => setTimeout(r, 200));
      left = (await bf.fx.d.docker(['ps', '-aq'])).stdout.trim();
    }
    expect(left).toBe('');
    expect((await bf.fx.d.docker(['image', 'inspect', 'cancelled'])).code).not.toBe(0);
  }, 120_000);

  it('refuses COPY outside the context, missing FROM, unknown instructions and empty Dockerfiles as dockerd', async () => {
    const out = ctx({ Dockerfile: 'FROM busybox\nCOPY ../outside.txt /x\n' });
    const a = await build([out]);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toContain('COPY failed: forbidden path outside the build context: ../outside.txt ()');
    const missing = await build([ctx({ Dockerfile: 'FROM busybox\nCOPY nope.txt /x\n' })]);
    expect(missing.stderr).toContain(
      'COPY failed: file not found in build context or excluded by .dockerignore: stat nope.txt: file does not exist',
    );
    const noFrom = await build([ctx({ Dockerfile: 'RUN echo hi\n' })]);
    expect(noFrom.code).not.toBe(0);
    expect(noFrom.stderr).toContain('Error response from daemon: No build stage in current context');
    const unknown = await build([ctx({ Dockerfile: 'FROM busybox\nFOOBAR x\n' })]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('dockerfile parse error line 2: unknown instruction: FOOBAR');
    const empty = await build([ctx({ Dockerfile: '' })]);
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain('the Dockerfile (Dockerfile) cannot be empty');
    const squash = await bf.fx.d.request('POST', '/v1.41/build?squash=1');
    expect(squash.status).toBe(400);
    expect(squash.body).toContain('squash is only supported with experimental mode');
  }, 120_000);

  it('never writes outside the build root for hostile contexts (.., absolute symlinks)', async () => {
    const tag = randomBytes(4).toString('hex');
    const victim = path.join(os.tmpdir(), `tsctr-evil-${tag}`);
    const dotdot = await tarOf([
      { name: 'Dockerfile', data: 'FROM busybox\nCOPY . /ctx/\n' },
      { name: `../../../../../../..${victim}`, data: 'evil' },
    ]);
    const r1 = await bf.fx.d.request('POST', '/v1.41/build', dotdot, { 'Content-Type': 'application/x-tar' });
    expect(r1.status).toBe(400);
    expect(existsSync(victim)).toBe(false);
    const symlinked = await tarOf([
      { name: 'Dockerfile', data: 'FROM busybox\nCOPY . /ctx/\nRUN ls /ctx/l/\n' },
      { name: 'l', type: 'symlink', linkname: os.tmpdir() },
      { name: `l/tsctr-evil-${tag}`, data: 'evil' },
    ]);
    const r2 = await bf.fx.d.request('POST', '/v1.41/build?t=sym', symlinked, {
      'Content-Type': 'application/x-tar',
    });
    expect(existsSync(victim)).toBe(false);
    // What went in stayed inside the context: the link resolved within it.
    if (r2.status === 200) expect(lines(r2.body).some((l) => 'error' in l)).toBe(false);
  }, 120_000);

  it('takes gzip, bzip2 and xz contexts and a gzipped Dockerfile alone over the raw API', async () => {
    const tar = await tarOf([
      { name: 'Dockerfile', data: 'FROM busybox\nCOPY f /f\n' },
      { name: 'f', data: 'compressed\n' },
    ]);
    const tmp = path.join(bf.work, 'ctx.tar');
    writeFileSync(tmp, tar);
    const bodies: Array<[string, Buffer]> = [
      ['gzip', gzipSync(tar)],
      ['bzip2', execFileSync('bzip2', ['-c', tmp])],
      ['xz', execFileSync('xz', ['-c', tmp])],
    ];
    for (const [name, body] of bodies) {
      const r = await bf.fx.d.request('POST', `/v1.41/build?t=comp-${name}`, body, {
        'Content-Type': 'application/x-tar',
      });
      expect(r.status, r.body).toBe(200);
      expect(r.body).toContain(`Successfully tagged comp-${name}:latest`);
    }
    const alone = await bf.fx.d.request(
      'POST',
      '/v1.41/build?t=alone',
      gzipSync('FROM busybox\nRUN echo alone\n'),
    );
    expect(r2s(alone.body)).toContain('alone\n');
    expect(alone.body).toContain('Successfully tagged alone:latest');
  }, 120_000);

  it('ADDs http URLs and builds remote= contexts from a server on 127.0.0.1', async () => {
    const tar = await tarOf([{ name: 'Dockerfile', data: 'FROM busybox\nRUN echo remote > /r.txt\n' }]);
    const server = http.createServer((req, res) => {
      if (req.url === '/file.txt') res.end('downloaded\n');
      else if (req.url === '/ctx.tar') res.end(tar);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const dir = ctx({ Dockerfile: `FROM busybox\nADD http://127.0.0.1:${port}/file.txt /dl/\n` });
      const a = await build(['-t', 'addurl', dir]);
      expect(a.code, a.stderr + a.stdout).toBe(0);
      expect((await bf.fx.d.docker(['run', '--rm', 'addurl', 'cat', '/dl/file.txt'])).stdout).toBe(
        'downloaded\n',
      );
      const missing = await build([
        ctx({ Dockerfile: `FROM busybox\nADD http://127.0.0.1:${port}/nope /x\n` }),
      ]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('404');
      const remote = await bf.fx.d.request(
        'POST',
        `/v1.41/build?t=remote&remote=${encodeURIComponent(`http://127.0.0.1:${port}/ctx.tar`)}`,
      );
      expect(remote.status, remote.body).toBe(200);
      expect(remote.body).toContain('Successfully tagged remote:latest');
      const git = await bf.fx.d.request(
        'POST',
        `/v1.41/build?remote=${encodeURIComponent('git://127.0.0.1/x.git')}`,
      );
      expect(git.status).toBe(400);
      const plat = await bf.fx.d.request('POST', '/v1.41/build?platform=linux/s390x');
      expect(plat.status).toBe(400);
    } finally {
      server.close();
    }
  }, 120_000);

  it('uses --cache-from images as the only cache sources', async () => {
    const dir = ctx({ Dockerfile: 'FROM busybox\nRUN echo cf > /cf\n' });
    const a = await build(['-t', 'cf:1', dir]);
    expect(a.code, a.stderr).toBe(0);
    const b = await build(['--cache-from', 'cf:1', '-t', 'cf:2', dir]);
    expect(b.stdout).toContain('Using cache');
    const c = await build(['--cache-from', 'busybox', '-t', 'cf:3', dir]);
    expect(c.code).toBe(0);
    expect(c.stdout).not.toContain('Using cache');
  }, 120_000);
});

describe('docker build from docker-py and compose', () => {
  it("docker-py's images.build: path, fileobj, custom context, buildargs, labels, target, extra_hosts", async () => {
    const r = await run('python3', [path.join(REPO, 'integration/clients/dockerpy_build.py')], {
      env: bf.fx.d.env,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      "path ['pyb:path'] yes",
      'steps True',
      "run ['from-py', 'hosts-ok']",
      'fileobj fileobj',
      'custom custom',
      'fail True',
    ]);
  }, 180_000);

  it('compose 1.29 up --build of a service with build:', async () => {
    const p = ctx({
      'docker-compose.yml': [
        'version: "3"',
        'services:',
        '  app:',
        '    build:',
        '      context: ./app',
        '      args:',
        '        V: "2"',
        '      labels:',
        '        org.example.from: compose',
        '    network_mode: none',
        '    command: ["cat", "/v.txt"]',
      ].join('\n'),
      'app/Dockerfile': 'FROM busybox\nARG V=1\nRUN echo "v=$V" > /v.txt\n',
    });
    const compose = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
      run(
        'docker-compose',
        ['--ansi', 'never', '-p', 'bproj', '-f', path.join(p, 'docker-compose.yml'), ...args],
        {
          env: { ...bf.fx.d.env, ...extra },
          timeoutMs: 120_000,
        },
      );
    try {
      const up = await compose(['up', '--build', '--no-color'], { DOCKER_BUILDKIT: '0' });
      expect(up.code, up.stderr + up.stdout).toBe(0);
      expect(up.stdout).toContain('v=2');
      const img = await bf.fx.d.docker([
        'image',
        'inspect',
        '--format',
        '{{index .Config.Labels "org.example.from"}}',
        'bproj_app',
      ]);
      expect(img.stdout.trim()).toBe('compose');
      // docker-py's own /build (COMPOSE_DOCKER_CLI_BUILD=0).
      const b = await compose(['build', '--no-cache'], { COMPOSE_DOCKER_CLI_BUILD: '0' });
      expect(b.code, b.stderr + b.stdout).toBe(0);
      expect(b.stdout + b.stderr).toContain('Successfully tagged bproj_app:latest');
    } finally {
      await compose(['down', '-t', '1']);
    }
  }, 240_000);
});

function r2s(body: string): string {
  return lines(body)
    .map((l) => (typeof l.stream === 'string' ? l.stream : ''))
    .join('');
}
