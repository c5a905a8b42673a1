// Bugs the chaos run found, each replayed as a plain scripted test.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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

  // A kill -9 of tsctr-dockerd just after a commit asked for its pause: tsctrd carried the pause
  // out after the restarted daemon had looked, and the container stayed paused for good. The mark
  // the commit leaves is what the restarted daemon watches: a pause landing late is undone.
  it('undoes a commit pause that lands after tsctr-dockerd restarted', async () => {
    const r = await d.docker(['run', '-d', '--name', 'late-pause', fx.ref, 'sleep', '600']);
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.trim();
    await d.kill9();
    // What the commit wrote before asking tsctrd to pause (commit-pause.ts keeps it there).
    mkdirSync(path.join(d.execRoot, 'commit-paused'), { recursive: true });
    writeFileSync(path.join(d.execRoot, 'commit-paused', id), '');
    await d.start();
    const status = async () =>
      (await d.tsctrd.ctr(['tasks', 'ls'], { ns: 'moby' })).stdout
        .split('\n')
        .find((l) => l.startsWith(id))
        ?.trim()
        .split(/\s+/)[2];
    expect(await status()).toBe('RUNNING');
    // The pause lands now, after the restore looked.
    expect((await d.tsctrd.ctr(['tasks', 'pause', id], { ns: 'moby' })).code).toBe(0);
    await until(async () => (await status()) === 'RUNNING');
    const exec = await d.docker(['exec', 'late-pause', 'echo', 'ok']);
    expect(exec.stdout).toBe('ok\n');
    expect((await d.docker(['inspect', '-f', '{{.State.Status}}', 'late-pause'])).stdout.trim()).toBe(
      'running',
    );
    // A user's pause, even while the watch runs, is the user's: nothing undoes it.
    expect((await d.docker(['pause', 'late-pause'])).code).toBe(0);
    await new Promise((res) => setTimeout(res, 600));
    expect(await status()).toBe('PAUSED');
    await d.docker(['rm', '-f', 'late-pause']);
  }, 60_000);

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
