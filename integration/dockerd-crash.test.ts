// kill -9 of tsctr-dockerd in the middle of a `docker pull`: the next pull completes, the image runs,
// and no lease of the killed pull is left behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dockerd } from './dockerd-harness.js';
import { type Proxy, startProxy } from './proxy.js';
import { type RunningRegistry, pushTestImage, startRegistry } from './registry.js';
import { buildImage, busyboxEntries } from './testimages.js';
import { until } from './wait.js';

let d: Dockerd;
let reg: RunningRegistry;
let proxy: Proxy;

beforeAll(async () => {
  reg = await startRegistry();
  const img = await buildImage([
    busyboxEntries(),
    [{ name: 'big.bin', data: randomBytes(24 << 20) }],
    [{ name: 'small', data: 'x' }],
  ]);
  await pushTestImage(reg, 'big:v1', img);
  proxy = await startProxy(reg.host);
  d = await Dockerd.start();
}, 60_000);

afterAll(async () => {
  await d?.cleanup();
  await proxy?.close();
  await reg?.stop();
});

describe('kill -9 of tsctr-dockerd in the middle of docker pull', () => {
  it('pulls again cleanly after the restart, and leaves no lease of the killed pull', async () => {
    const ref = `${proxy.host}/big:v1`;
    proxy.opts.bytesPerSecond = 4 << 20;
    const child: ChildProcess = spawn('docker', ['pull', ref], {
      env: { ...process.env, ...d.env },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await until(async () =>
      /layer-sha256:\S+\s+[2-9]\.\d+MB|\d\d\.\d+MB/.test(
        (await d.tsctrd.ctr(['content', 'active'], { ns: 'moby' })).stdout,
      ),
    );
    await d.kill9();
    expect(await exited).not.toBe(0);
    await d.start();
    proxy.opts.bytesPerSecond = 0;
    const again = await d.docker(['pull', ref], { timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(0);
    expect((await d.docker(['run', '--rm', ref, 'cat', '/small'])).stdout).toBe('x');
    expect((await d.tsctrd.ctr(['leases', 'ls', '-q'], { ns: 'moby' })).stdout.trim()).toBe('');
    expect((await d.tsctrd.ctr(['content', 'active'], { ns: 'moby' })).stdout).not.toMatch(/sha256/);
  });
});
