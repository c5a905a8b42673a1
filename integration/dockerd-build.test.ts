// docker build through the classic builder (POST /build), driven by the real docker CLI 28
// (DOCKER_BUILDKIT=0), against tsctr-dockerd on a real tsctrd.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, dockerFixture } from './dockerd-harness.js';
import type { RunResult } from './harness.js';

let fx: DockerFixture;
let work: string;

function ctx(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(work, 'ctx-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

function build(args: string[], opts: { input?: string | Buffer } = {}): Promise<RunResult> {
  return fx.d.docker(['build', ...args], { ...opts, timeoutMs: 120_000 });
}

async function inspect(ref: string): Promise<Record<string, any>> {
  const r = await fx.d.docker(['image', 'inspect', ref]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout)[0];
}

beforeAll(async () => {
  process.env.DOCKER_BUILDKIT = '0';
  fx = await dockerFixture();
  const t = await fx.d.docker(['tag', fx.ref, 'busybox:latest']);
  expect(t.code, t.stderr).toBe(0);
  work = mkdtempSync(path.join(os.tmpdir(), 'tsctr-build-'));
}, 120_000);

afterAll(async () => {
  await fx?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('docker build (classic builder)', () => {
  it('builds FROM/RUN/COPY/ENV/CMD with the docker CLI, and the image runs', async () => {
    const dir = ctx({
      Dockerfile: [
        'FROM busybox',
        'ENV GREETING=hello',
        'WORKDIR /app',
        'COPY hello.txt ./',
        'RUN echo "$GREETING from run" > run.txt && echo to-stderr >&2',
        'CMD ["cat", "/app/hello.txt", "/app/run.txt"]',
      ].join('\n'),
      'hello.txt': 'hi there\n',
    });
    const r = await build(['-t', 'b1:latest', dir]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/Step 1\/6 : FROM busybox\n ---> [0-9a-f]{12}\n/);
    expect(r.stdout).toMatch(/Step 5\/6 : RUN echo "\$GREETING from run" > run.txt && echo to-stderr >&2\n ---> Running in [0-9a-f]{12}\n/);
    expect(r.stdout).toMatch(/Removing intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n/);
    expect(r.stdout).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged b1:latest\n/);
    const run = await fx.d.docker(['run', '--rm', 'b1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('hi there\nhello from run\n');
    const img = await inspect('b1');
    expect(img.Config.Env).toContain('GREETING=hello');
    expect(img.Config.WorkingDir).toBe('/app');
    expect(img.Config.Cmd).toEqual(['cat', '/app/hello.txt', '/app/run.txt']);
    const h = await fx.d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'b1']);
    expect(h.stdout.split('\n')[0]).toBe('CMD ["cat" "/app/hello.txt" "/app/run.txt"]'.replace(/^/, '/bin/sh -c #(nop)  '));
    expect(h.stdout).toContain('/bin/sh -c echo "$GREETING from run" > run.txt && echo to-stderr >&2');
    expect(h.stdout).toMatch(/\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/app\/ /);
  }, 180_000);
});
