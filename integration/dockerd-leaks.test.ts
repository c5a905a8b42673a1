// 40 `docker run --rm` and 10 `docker exec` cycles through tsctr-dockerd leave nothing behind: no
// record, FIFO, tsctrd container, snapshot, task, shim or mount, and both daemons' descriptors stay
// flat.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, type Dockerd, dockerFixture } from './dockerd-harness.js';

let fx: DockerFixture;
let d: Dockerd;
let ref: string;

beforeAll(async () => {
  fx = await dockerFixture();
  ({ d, ref } = fx);
}, 60_000);

afterAll(async () => {
  await fx?.stop();
});

const fds = (pid: number | undefined) => readdirSync(`/proc/${pid}/fd`).length;
const ls = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

describe('tsctr-dockerd leaks', () => {
  it('run --rm and exec cycles leave no record, fifo, container, snapshot, shim or fd', async () => {
    let base = { dockerd: 0, tsctrd: 0 };
    for (let i = 0; i < 40; i++) {
      const r = await d.docker(['run', '--rm', '-i', ref, 'sh', '-c', 'cat; echo done'], {
        input: `x${i}\n`,
      });
      expect(r.stdout).toBe(`x${i}\ndone\n`);
      if (i === 4) base = { dockerd: fds(d.proc?.pid), tsctrd: fds(d.tsctrd.proc?.pid) };
    }
    await d.docker(['run', '-d', '--name', 'ex', ref, 'sleep', '600']);
    for (let i = 0; i < 10; i++)
      expect((await d.docker(['exec', 'ex', 'echo', String(i)])).stdout).toBe(`${i}\n`);
    expect((await d.docker(['rm', '-f', 'ex'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(ls(path.join(d.dataRoot, 'containers'))).toEqual([]);
    // Nothing per container is left in the exec root: FIFO dirs, or pinned network namespaces.
    expect(ls(d.execRoot).filter((n) => n !== 'netns')).toEqual([]);
    expect(ls(path.join(d.execRoot, 'netns'))).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(path.join(d.execRoot, 'netns'));
    expect((await d.tsctrd.ctr(['containers', 'ls', '-q'], { ns: 'moby' })).stdout.trim()).toBe('');
    expect((await d.tsctrd.ctr(['tasks', 'ls', '-q'], { ns: 'moby' })).stdout.trim()).toBe('');
    const snaps = (await d.tsctrd.ctr(['snapshots', 'ls'], { ns: 'moby' })).stdout;
    expect(snaps).not.toMatch(/^[0-9a-f]{64}\s/m);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(path.join(d.tsctrd.state, 'tasks'));
    expect(fds(d.proc?.pid)).toBeLessThanOrEqual(base.dockerd + 3);
    expect(fds(d.tsctrd.proc?.pid)).toBeLessThanOrEqual(base.tsctrd + 3);
  }, 120_000);
});
