// Docker compatibility details a user of the docker CLI or docker-py sees (issue 12): commit of
// containers that are not running, archives of stopped containers' volumes, request validation before
// any network access, 400 for broken bodies everywhere, docker cp's path rules, kill/rename/tag,
// exec events and old API versions, and the offline first image.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, type Dockerd, dockerFixture } from './dockerd-harness.js';
import { REPO, run } from './harness.js';

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

async function ok(args: string[], input?: string | Buffer): Promise<string> {
  const r = await d.docker(args, input === undefined ? {} : { input });
  expect(r.code, `docker ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('offline first image', () => {
  it('scripts/local-busybox.sh imports tsctr.local/busybox from busybox-static, and it runs', async () => {
    const script = path.join(REPO, 'scripts/local-busybox.sh');
    const first = await run('bash', [script, d.socket], { timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('imported tsctr.local/busybox:latest');
    expect(await ok(['run', '--rm', 'tsctr.local/busybox', 'echo', 'hi'])).toBe('hi\n');
    // The image's own command is sh; busybox applets are on PATH.
    expect(await ok(['run', '--rm', '-i', 'tsctr.local/busybox:latest'], 'ls /bin/wget; id -u\n')).toBe(
      '/bin/wget\n0\n',
    );
    const again = await run('bash', [script, d.socket], { timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already there');
    // Registry images keep working beside it.
    expect(await ok(['run', '--rm', ref, 'echo', 'reg'])).toBe('reg\n');
  }, 90_000);
});

describe('commit of containers that are not running', () => {
  it('commits created and exited containers from their snapshot, twice, and one exiting meanwhile', async () => {
    await ok(['create', '--name', 'cm-created', ref, 'true']);
    const created = (await ok(['commit', 'cm-created', 'cm-created-img'])).trim();
    expect(created).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await ok(['run', '--rm', 'cm-created-img', 'echo', 'ok'])).toBe('ok\n');

    await ok(['run', '--name', 'cm-exited', ref, 'sh', '-c', 'echo y > /g']);
    await ok(['commit', 'cm-exited', 'cm-exited-img']);
    // The same changes again: the layer is stored already, and that is no error.
    await ok(['commit', 'cm-exited', 'cm-exited-img2']);
    expect(await ok(['run', '--rm', 'cm-exited-img2', 'cat', '/g'])).toBe('y\n');

    // Commits while the container exits: none may fail (no "runc pause failed", no ttrpc closed).
    await ok(['run', '-d', '--name', 'cm-exiting', ref, 'sh', '-c', 'echo z > /h; sleep 0.3']);
    const failures: string[] = [];
    const until = Date.now() + 2500;
    let n = 0;
    while (Date.now() < until) {
      const r = await d.docker(['commit', 'cm-exiting', `cm-exiting-img:${n++}`]);
      if (r.code !== 0) failures.push(r.stderr);
    }
    expect(failures).toEqual([]);
    expect(await ok(['inspect', '-f', '{{.State.Running}}', 'cm-exiting'])).toBe('false\n');
    expect(await ok(['run', '--rm', `cm-exiting-img:${n - 1}`, 'cat', '/h'])).toBe('z\n');
  }, 90_000);
});

describe('archive of a container that is not running', () => {
  it('docker cp reaches its volumes and binds, read-only ones refused', async () => {
    const host = mkdtempSync(path.join(os.tmpdir(), 'tsctr-cp-bind-'));
    try {
      writeFileSync(path.join(host, 'hf'), 'hostfile\n');
      writeFileSync(path.join(host, 'up.txt'), 'hello\n');
      await ok([
        'create',
        '--name',
        'ar-created',
        '-v',
        '/vol1',
        '-v',
        'ar-named:/nv',
        '-v',
        `${host}:/bnd`,
        '-v',
        `${host}:/bro:ro`,
        ref,
        'true',
      ]);
      await ok(['cp', path.join(host, 'up.txt'), 'ar-created:/vol1/']);
      await ok(['cp', path.join(host, 'up.txt'), 'ar-created:/nv/in-named']);
      await ok(['cp', path.join(host, 'up.txt'), 'ar-created:/bnd/x2']);
      expect(readFileSync(path.join(host, 'x2'), 'utf8')).toBe('hello\n');
      const back = await run('sh', ['-c', 'docker cp ar-created:/bnd/hf - | tar xO'], { env: d.env });
      expect(back.stdout).toBe('hostfile\n');
      const ro = await d.docker(['cp', path.join(host, 'up.txt'), 'ar-created:/bro/x3']);
      expect(ro.code).not.toBe(0);
      expect(ro.stderr).toContain('mounted volume is marked read-only');
      // What was copied in while it was created is what the container sees once it runs.
      await ok(['start', '-a', 'ar-created']);
      const seen = await ok([
        'run',
        '--rm',
        '--volumes-from',
        'ar-created',
        ref,
        'cat',
        '/vol1/up.txt',
        '/nv/in-named',
      ]);
      expect(seen).toBe('hello\nhello\n');
      // Exited now: the same paths still answer (HEAD and GET).
      const vol = await run('sh', ['-c', 'docker cp ar-created:/vol1/up.txt - | tar xO'], { env: d.env });
      expect(vol.stdout).toBe('hello\n');
      // Nothing of this daemon's stays mounted (the unmount may finish just after the last byte).
      const ours = () =>
        readFileSync('/proc/self/mountinfo', 'utf8')
          .split('\n')
          .filter((l) => l.includes('tsctr-cp-') && (l.includes(d.tsctrd.dir) || l.includes(host)));
      for (let i = 0; i < 50 && ours().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(ours()).toEqual([]);
    } finally {
      await d.docker(['rm', '-f', 'ar-created']);
      rmSync(host, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('docker-py', () => {
  it('platforms are checked before any network access; exec events; old API versions', async () => {
    const r = await run('python3', [path.join(REPO, 'integration/clients/dockerpy_compat2.py'), ref], {
      env: d.env,
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'pull-platform 400 "foobar": unknown operating system or architecture: invalid argument connections 0',
      'create-platform 404 image with reference REF was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64',
      'create-badplatform 400 "foobar": unknown operating system or architecture: invalid argument',
      'create-platform-ok True',
    ]);
  }, 90_000);
});

describe('request bodies', () => {
  it('a broken or wrong-typed JSON body is a 400 on every endpoint that takes one', async () => {
    await ok(['run', '-d', '--name', 'bodies', ref, 'sleep', '600']);
    const volumesBefore = await ok(['volume', 'ls', '-q']);
    const ex = JSON.parse(
      (
        await d.request('POST', '/v1.41/containers/bodies/exec', '{"Cmd":["true"]}', {
          'Content-Type': 'application/json',
        })
      ).body,
    ) as { Id: string };
    const endpoints = [
      '/containers/create',
      '/containers/bodies/update',
      '/containers/bodies/exec',
      `/exec/${ex.Id}/start`,
      '/commit?container=bodies',
      '/auth',
      '/volumes/create',
      '/networks/create',
      '/networks/bridge/connect',
      '/networks/bridge/disconnect',
    ];
    const bad = ['{broken', '[1]', '"text"', '5', 'true'];
    const rows: string[] = [];
    for (const ep of endpoints)
      for (const body of bad) {
        const r = await d.request('POST', `/v1.41${ep}`, body, { 'Content-Type': 'application/json' });
        const m = (JSON.parse(r.body) as { message?: string }).message ?? '';
        if (r.status !== 400 || !/^(invalid JSON|json: cannot unmarshal)/.test(m))
          rows.push(`${ep} ${body} -> ${r.status} ${r.body.trim()}`);
      }
    // Fields of the wrong JSON type, one per endpoint.
    const typed: Array<[string, string, string]> = [
      ['/containers/create', '{"Image":"x","HostConfig":{"Memory":"1g"}}', 'HostConfig.Memory of type int64'],
      ['/containers/create', '{"Image":"x","Env":"A=1"}', 'Env of type []string'],
      ['/containers/bodies/update', '{"CpuShares":"2"}', 'UpdateConfig.CpuShares of type int64'],
      ['/containers/bodies/exec', '{"Cmd":5}', 'ExecConfig.Cmd of type strslice.StrSlice'],
      [`/exec/${ex.Id}/start`, '{"Detach":"yes"}', 'ExecStartCheck.Detach of type bool'],
      ['/commit?container=bodies', '{"Labels":{"a":1}}', 'Config.Labels of type string'],
      ['/auth', '{"username":1}', 'AuthConfig.username of type string'],
      ['/volumes/create', '{"Labels":["a"]}', 'CreateOptions.Labels of type map[string]string'],
      ['/networks/create', '{"Name":"n","Internal":"yes"}', 'NetworkCreateRequest.Internal of type bool'],
      ['/networks/bridge/connect', '{"Container":5}', 'NetworkConnect.Container of type string'],
      ['/networks/bridge/disconnect', '{"Force":"1"}', 'NetworkDisconnect.Force of type bool'],
    ];
    for (const [ep, body, want] of typed) {
      const r = await d.request('POST', `/v1.41${ep}`, body, { 'Content-Type': 'application/json' });
      if (r.status !== 400 || !r.body.includes(want))
        rows.push(`${ep} ${body} -> ${r.status} ${r.body.trim()}`);
    }
    // A start body is refused since 1.24, as dockerd does.
    const st = await d.request('POST', '/v1.41/containers/bodies/start', '{"Binds":[]}', {
      'Content-Type': 'application/json',
    });
    if (st.status !== 400) rows.push(`start body -> ${st.status} ${st.body}`);
    expect(rows).toEqual([]);
    // Nothing was half-applied: no volume or network appeared, the container kept its settings.
    expect(await ok(['volume', 'ls', '-q'])).toBe(volumesBefore);
    expect(await ok(['inspect', '-f', '{{.HostConfig.CpuShares}} {{.State.Running}}', 'bodies'])).toBe(
      '0 true\n',
    );
    await ok(['rm', '-f', 'bodies']);
  }, 90_000);
});
