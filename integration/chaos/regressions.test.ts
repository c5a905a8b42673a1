// Bugs the chaos run found, each replayed as a plain scripted test.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../client/connection.js';
import { createLease, listLeases } from '../../client/leases.js';
import { type DockerFixture, type Dockerd, dockerFixture } from '../dockerd-harness.js';
import { until } from '../wait.js';

let fx: DockerFixture;
let d: Dockerd;

beforeAll(async () => {
  fx = await dockerFixture();
  d = fx.d;
}, 60_000);

afterAll(async () => {
  await fx?.stop();
});

describe('chaos regressions', () => {
  // A kill -9 of tsctr-dockerd between the create and the start of `docker run --rm` left the
  // container in "created" for good; dockerd removes such auto-remove containers when it restores.
  it('removes an auto-remove container that never started when tsctr-dockerd restarts', async () => {
    const c = await d.docker(['create', '--rm', '--name', 'never-started', fx.ref, 'true']);
    expect(c.code, c.stderr).toBe(0);
    const kept = await d.docker(['create', '--name', 'kept', fx.ref, 'true']);
    expect(kept.code, kept.stderr).toBe(0);
    await d.kill9();
    await d.start();
    await until(async () => (await d.docker(['inspect', 'never-started'])).code !== 0);
    expect((await d.docker(['inspect', '-f', '{{.State.Status}}', 'kept'])).stdout.trim()).toBe('created');
    await d.docker(['rm', '-f', 'kept']);
  });

  // A kill -9 of tsctr-dockerd during a commit (or pull) left its lease, holding what it had
  // written, until some later pull swept it: the restarted daemon drops it at once.
  it('drops the leases of a killed tsctr-dockerd when it restarts', async () => {
    const c = new Connection({ address: d.tsctrd.address }).withNamespace('moby');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const dead = d.proc!.pid!;
    await d.kill9();
    await createLease(c, 'dockerd-killed-commit', {
      'tsctr.io/owner.pid': String(dead),
      'tsctr.io/owner.boot': boot,
    });
    await createLease(c, 'someone-elses', {
      'tsctr.io/owner.pid': String(process.pid),
      'tsctr.io/owner.boot': boot,
    });
    await d.start();
    const ids = (await listLeases(c)).map((l) => l.id);
    expect(ids).not.toContain('dockerd-killed-commit');
    expect(ids).toContain('someone-elses');
    c.close();
  });

  // Two commits whose layers are byte-identical (a container committed twice, or a commit a kill
  // cut short after its layer was written): the second failed with "content sha256:…"
  // (AlreadyExists from the differ); containerd's differ takes the existing blob.
  it('commits a container whose layer is already in the store', async () => {
    const r = await d.docker([
      'run',
      '-d',
      '--name',
      'same',
      fx.ref,
      'sh',
      '-c',
      'echo same > /f; sleep 600',
    ]);
    expect(r.code, r.stderr).toBe(0);
    await until(async () => (await d.docker(['exec', 'same', 'cat', '/f'])).stdout === 'same\n');
    const a = await d.docker(['commit', 'same', 'same:a']);
    expect(a.code, a.stderr).toBe(0);
    const b = await d.docker(['commit', 'same', 'same:b']);
    expect(b.code, b.stderr).toBe(0);
    const la = (await d.docker(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'same:a'])).stdout;
    expect((await d.docker(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'same:b'])).stdout).toBe(la);
    expect((await d.docker(['run', '--rm', 'same:b', 'cat', '/f'])).stdout).toBe('same\n');
    await d.docker(['rm', '-f', 'same']);
  });

  // `docker run --rm` while tsctrd was down: the start failed, and so did the removal that follows a
  // failed start of an auto-remove container; nothing tried again, so it stayed "created".
  it('removes an auto-remove container whose start failed while tsctrd was down, once it is back', async () => {
    const c = await d.docker(['create', '--rm', '--name', 'start-failed', fx.ref, 'true']);
    expect(c.code, c.stderr).toBe(0);
    await d.tsctrd.kill9();
    const start = await d.docker(['start', 'start-failed']);
    expect(start.code).not.toBe(0);
    await d.tsctrd.start();
    await until(async () => (await d.docker(['inspect', 'start-failed'])).code !== 0, 30_000);
  });
});
