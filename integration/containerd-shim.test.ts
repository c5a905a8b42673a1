// The shim proven by a daemon nobody here wrote: Debian's real containerd runs a container through
// tsctr-shim, installed as `containerd-shim-tsctr-v1` on its PATH.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, run } from './harness.js';
import { type RunningRegistry, pushTestImage, startRegistry } from './registry.js';
import { busybox } from './testimages.js';

let dir: string;
let sock: string;
let containerd: ChildProcess;
let reg: RunningRegistry;
let ref: string;

const ctr = (args: string[], input?: string) =>
  run('ctr', ['-a', sock, '-n', 'tsctrshim', ...args], { timeoutMs: 60_000, ...(input ? { input } : {}) });

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-ctrd-'));
  sock = path.join(dir, 'containerd.sock');
  const bin = path.join(dir, 'bin');
  await fs.mkdir(bin);
  const shim = path.join(bin, 'containerd-shim-tsctr-v1');
  writeFileSync(shim, `#!/bin/sh\nexec ${process.execPath} ${path.join(DIST, 'tsctr-shim.js')} "$@"\n`);
  chmodSync(shim, 0o755);
  const cfg = path.join(dir, 'config.toml');
  writeFileSync(
    cfg,
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${sock}"`,
      '[ttrpc]',
      `  address = "${sock}.ttrpc"`,
      '',
    ].join('\n'),
  );
  containerd = spawn('containerd', ['--config', cfg], {
    stdio: 'ignore',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  for (let i = 0; i < 200 && !(existsSync(sock) && (await connects(sock))); i++)
    await new Promise((r) => setTimeout(r, 50));
  reg = await startRegistry();
  ref = await pushTestImage(reg, 'busybox:latest', await busybox());
  const p = await ctr(['images', 'pull', '--plain-http', ref]);
  expect(p.code, p.stderr).toBe(0);
});

afterAll(async () => {
  containerd?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await reg?.stop();
  await run('sh', ['-c', `umount -R ${dir}/root 2>/dev/null; umount -R ${dir}/state 2>/dev/null; true`]);
  await fs.rm(dir, { recursive: true, force: true });
});

function connects(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(p);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('real containerd with tsctr-shim as its runtime', () => {
  it('runs a container, returns its output and exit code', async () => {
    const r = await ctr([
      'run',
      '--rm',
      '--runtime',
      'io.containerd.tsctr.v1',
      ref,
      'viashim',
      'echo',
      'hi from tsctr-shim',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi from tsctr-shim\n');
    expect(r.code).toBe(0);
    const r7 = await ctr([
      'run',
      '--rm',
      '--runtime',
      'io.containerd.tsctr.v1',
      ref,
      'viashim7',
      'sh',
      '-c',
      'exit 7',
    ]);
    expect(r7.code).toBe(7);
  });

  it('runs detached, execs into it, and kills it', async () => {
    const d = await ctr([
      'run',
      '-d',
      '--runtime',
      'io.containerd.tsctr.v1',
      ref,
      'shimbg',
      'sh',
      '-c',
      'trap "exit 143" TERM; while true; do sleep 1; done',
    ]);
    expect(d.code, d.stderr).toBe(0);
    expect((await ctr(['tasks', 'ls'])).stdout).toMatch(/shimbg\s+\d+\s+RUNNING/);
    const ex = await ctr(['tasks', 'exec', '--exec-id', 'x1', 'shimbg', 'echo', 'exec ok']);
    expect(ex.stdout).toBe('exec ok\n');
    expect((await ctr(['tasks', 'kill', 'shimbg'])).code).toBe(0);
    for (let i = 0; i < 100 && !/STOPPED/.test((await ctr(['tasks', 'ls'])).stdout); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect((await ctr(['tasks', 'ls'])).stdout).toMatch(/shimbg\s+\d+\s+STOPPED/);
    const rm = await ctr(['tasks', 'rm', 'shimbg']);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await ctr(['containers', 'rm', 'shimbg'])).code).toBe(0);
  });
});
