// docker-py (the library compose and many scripts use) against tsctr-dockerd: it negotiates the
// version with an unversioned GET /version, sends sparse bodies, map-of-list filters and Python's
// capitalised booleans, and maps 404 texts to ImageNotFound/NotFound.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dockerd } from './dockerd-harness.js';
import { REPO, run } from './harness.js';
import { type RunningRegistry, pushTestImage, startRegistry } from './registry.js';
import { busybox } from './testimages.js';

let d: Dockerd;
let reg: RunningRegistry;
let ref: string;

beforeAll(async () => {
  reg = await startRegistry();
  ref = await pushTestImage(reg, 'busybox:latest', await busybox());
  d = await Dockerd.start();
  expect((await d.docker(['pull', ref])).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await d?.cleanup();
  await reg?.stop();
});

describe('docker-py', () => {
  it('runs, execs, reads logs, stops, waits, removes, and maps errors', async () => {
    const r = await run('python3', [path.join(REPO, 'integration/clients/dockerpy_flow.py'), ref], {
      env: d.env,
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'ping True',
      'api 1.41',
      'run hi',
      'status running',
      'labels py',
      "filter ['py1']",
      'exec 3 b',
      'logs out err',
      'wait 137',
      'gone True',
      'imagenotfound True',
      'image True True',
      'volume pyvol v',
      'volrun x',
      'badname 400',
    ]);
  });
});
