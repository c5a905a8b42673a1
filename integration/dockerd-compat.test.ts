// Docker compatibility details a user of the docker CLI or docker-py sees (issue 12): commit of
// containers that are not running, archives of stopped containers' volumes, request validation before
// any network access, 400 for broken bodies everywhere, docker cp's path rules, kill/rename/tag,
// exec events and old API versions, and the offline first image.
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
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
      // A read-only root refuses writes outside its volumes only.
      await ok(['create', '--name', 'ar-readonly', '--read-only', '-v', '/vol2', ref, 'true']);
      await ok(['cp', path.join(host, 'up.txt'), 'ar-readonly:/vol2/']);
      const rootRo = await d.docker(['cp', path.join(host, 'up.txt'), 'ar-readonly:/etc/']);
      expect(rootRo.stderr).toContain('container rootfs is marked read-only');
      await ok(['rm', '-v', 'ar-readonly']);
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

  it('a path the filesystem refuses (too long, through a file) is a 400 with its reason, not a 500', async () => {
    await ok(['create', '--name', 'ar-badpath', ref, 'true']);
    try {
      const long = `/${'x'.repeat(5000)}`;
      const head = await d.request('HEAD', `/v1.41/containers/ar-badpath/archive?path=${long}`);
      expect(head.status).toBe(400);
      const get = await d.request('GET', `/v1.41/containers/ar-badpath/archive?path=${long}`);
      expect(get.status).toBe(400);
      expect(JSON.parse(get.body).message).toMatch(/name too long/i);
      const through = await d.request('GET', '/v1.41/containers/ar-badpath/archive?path=/bin/busybox/x');
      expect(through.status).toBe(400);
      const cp = await d.docker(['cp', `ar-badpath:${long}`, '-']);
      expect(cp.code).toBe(1);
      expect(cp.stderr).toMatch(/name too long/i);
    } finally {
      await d.docker(['rm', '-f', 'ar-badpath']);
    }
  });
});

describe('docker cp path rules', () => {
  it('symlinks (the link itself, -L, trailing slash), / as source, missing or non-directory destinations', async () => {
    await ok(['run', '-d', '--name', 'cpr', ref, 'sleep', '600']);
    await ok([
      'exec',
      'cpr',
      'sh',
      '-c',
      'mkdir -p /d/sub && echo inner > /d/sub/f && ln -s /d /lnk && ln -s /etc/passwd /lnkf && ln -s sub /d/rel',
    ]);
    const out = mkdtempSync(path.join(os.tmpdir(), 'tsctr-cp-rules-'));
    try {
      const at = (n: string) => path.join(out, n);
      // Without -L the link itself is copied.
      await ok(['cp', 'cpr:/lnk', at('a1')]);
      expect(readlinkSync(at('a1'))).toBe('/d');
      await ok(['cp', 'cpr:/d/rel', at('a1rel')]);
      expect(readlinkSync(at('a1rel'))).toBe('sub');
      // -L, or a trailing slash: its target, under the link's name.
      await ok(['cp', '-L', 'cpr:/lnk', at('a2')]);
      expect(readFileSync(at('a2/sub/f'), 'utf8')).toBe('inner\n');
      await ok(['cp', 'cpr:/lnk/', at('a3')]);
      expect(readFileSync(at('a3/sub/f'), 'utf8')).toBe('inner\n');
      const names = await run('sh', ['-c', 'docker cp cpr:/lnk/ - | tar t'], { env: d.env });
      expect(names.stdout.split('\n').filter(Boolean).sort()).toEqual([
        'lnk/',
        'lnk/rel',
        'lnk/sub/',
        'lnk/sub/f',
      ]);
      // A link to a file with a trailing slash is not a directory.
      const notDir = await d.docker(['cp', 'cpr:/lnkf/', at('a4')]);
      expect(notDir.code).toBe(1);
      expect(notDir.stderr).toContain('not a directory');
      // "/" as the source: the container's files; its kernel filesystems are empty directories.
      await ok(['cp', 'cpr:/', at('a5')]);
      expect(readFileSync(at('a5/d/sub/f'), 'utf8')).toBe('inner\n');
      expect(readdirSync(at('a5/proc'))).toEqual([]);
      expect(readdirSync(at('a5/sys'))).toEqual([]);
      const rootNames = await run('sh', ['-c', 'docker cp cpr:/ - | tar t 2>/dev/null | head -2'], {
        env: d.env,
      });
      expect(rootNames.stdout).toBe('/\n/bin/\n');
      // Into the container: through a link to a directory; parent missing; parent not a directory.
      writeFileSync(at('up.txt'), 'up\n');
      await ok(['cp', at('up.txt'), 'cpr:/lnk']);
      expect(await ok(['exec', 'cpr', 'cat', '/d/up.txt'])).toBe('up\n');
      const missing = await d.docker(['cp', at('up.txt'), 'cpr:/nonexistent/dir/f']);
      expect(missing.stderr.trim()).toBe(
        'Error response from daemon: Could not find the file /nonexistent/dir in container cpr',
      );
      const fileParent = await d.docker(['cp', at('up.txt'), 'cpr:/etc/passwd/x']);
      expect(fileParent.stderr.trim()).toBe(
        'Error response from daemon: extraction point is not a directory',
      );
      const gone = await d.docker(['cp', 'cpr:/nonexistent', at('x')]);
      expect(gone.stderr.trim()).toBe(
        'Error response from daemon: Could not find the file /nonexistent in container cpr',
      );
      // docker export of a running container has no /proc contents either.
      const exported = await run('sh', ['-c', 'docker export cpr | tar t | grep -c "^proc/."'], {
        env: d.env,
      });
      expect(exported.stdout.trim()).toBe('0');
    } finally {
      await d.docker(['rm', '-f', 'cpr']);
      rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('docker-py (Debian python3-docker 5.0.3)', () => {
  it('pull platform checked before any network access; tag references; exec events; old API versions', async () => {
    // /usr/bin/python3 is Debian's, with its python3-docker; another python3 may come first on PATH.
    const r = await run(
      '/usr/bin/python3',
      [path.join(REPO, 'integration/clients/dockerpy_compat2.py'), ref],
      {
        env: d.env,
        timeoutMs: 60_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const events = (v: string) => [
      `event ${v} create True True - False`,
      `event ${v} start True True - False`,
      `event ${v} exec_create: sh -c exit 3 True True - True`,
      `event ${v} exec_start: sh -c exit 3 True True - True`,
      `event ${v} exec_die True True exitCode=3 True`,
    ];
    expect(r.stdout.trim().split('\n')).toEqual([
      'pull-platform 400 "foobar": unknown operating system or architecture: invalid argument connections 0',
      'pull-tag 400 invalid tag format connections 0',
      'pull-digest 400 invalid tag format connections 0',
      'pull-name 400 invalid reference format: repository name must be lowercase connections 0',
      'push-tag 400 invalid tag format connections 0',
      "tag 'UPPER' 400 invalid reference format: repository name must be lowercase",
      "tag 'ok' 400 invalid tag format",
      "tag 'a//b' 400 invalid reference format",
      "tag '' 400 repository name must have at least one component",
      'tag-ok True',
      ...events('1.41'),
      ...events('1.21'),
    ]);
  }, 90_000);
});

describe('create with a platform', () => {
  it("refuses an image of another platform with dockerd's 404; a matching one is created", async () => {
    const other = await d.request(
      'POST',
      '/v1.41/containers/create?platform=linux/arm64',
      JSON.stringify({ Image: ref }),
      {
        'Content-Type': 'application/json',
      },
    );
    expect(other.status).toBe(404);
    expect(JSON.parse(other.body)).toEqual({
      message: `image with reference ${ref} was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64`,
    });
    const bad = await d.request(
      'POST',
      '/v1.41/containers/create?platform=foobar',
      JSON.stringify({ Image: ref }),
      {
        'Content-Type': 'application/json',
      },
    );
    expect(bad.status).toBe(400);
    const id = (await ok(['create', '--platform', 'linux/amd64', ref, 'true'])).trim();
    await ok(['rm', id]);
  });
});

describe('kill, rename, tag and image filters', () => {
  it("kill of a stopped container is 409 with dockerd's text", async () => {
    const id = (await ok(['create', '--name', 'kl-stopped', ref, 'true'])).trim();
    const r = await d.docker(['kill', 'kl-stopped']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `Error response from daemon: Cannot kill container: kl-stopped: Container ${id} is not running`,
    );
    const raw = await d.request('POST', `/v1.41/containers/kl-stopped/kill`);
    expect(raw.status).toBe(409);
    await ok(['rm', 'kl-stopped']);
  });

  it('a container renamed from its generated name keeps working, its new name resolves', async () => {
    await ok(['network', 'create', 'rn-net']);
    try {
      const id = (
        await ok(['run', '-d', '--network', 'rn-net', ref, 'sh', '-c', 'echo started; sleep 600'])
      ).trim();
      const generated = (await ok(['inspect', '-f', '{{.Name}}', id])).trim().slice(1);
      expect(generated).toMatch(/^[a-z]+_[a-z]+$/);
      await ok(['rename', generated, 'rn-new']);
      expect(await ok(['exec', 'rn-new', 'echo', 'exec'])).toBe('exec\n');
      expect(await ok(['logs', 'rn-new'])).toBe('started\n');
      // Its new name answers on its network, the generated one no longer.
      expect(await ok(['run', '--rm', '--network', 'rn-net', ref, 'ping', '-c1', '-W2', 'rn-new'])).toContain(
        '1 packets received',
      );
      const gone = await d.docker(
        ['run', '--rm', '--network', 'rn-net', ref, 'ping', '-c1', '-W1', generated],
        {
          timeoutMs: 50_000,
        },
      );
      expect(`${gone.stdout}${gone.stderr}`, JSON.stringify(gone)).toContain('bad address');
      await ok(['restart', '-t', '1', 'rn-new']);
      expect(await ok(['logs', 'rn-new'])).toBe('started\nstarted\n');
      expect(await ok(['exec', 'rn-new', 'echo', 'again'])).toBe('again\n');
      expect(await ok(['ps', '--filter', `id=${id}`, '--format', '{{.Names}}'])).toBe('rn-new\n');
      await ok(['rm', '-f', 'rn-new']);
      expect(await ok(['ps', '-aq', '--filter', `id=${id}`])).toBe('');
    } finally {
      await d.docker(['network', 'rm', 'rn-net']);
    }
  }, 120_000);

  it('image list with several reference filters matches any of them (patterns as dockerd)', async () => {
    await ok(['tag', ref, 'flt/one:a']);
    await ok(['tag', ref, 'flt/two:b']);
    await ok(['tag', ref, 'other/three:c']);
    const list = async (...refs: string[]) =>
      (
        await ok([
          'images',
          ...refs.flatMap((r) => ['--filter', `reference=${r}`]),
          '--format',
          '{{.Repository}}:{{.Tag}}',
        ])
      )
        .trim()
        .split('\n')
        .filter(Boolean)
        .sort();
    expect(await list('flt/one', 'other/three:c')).toEqual(['flt/one:a', 'other/three:c']);
    expect(await list('flt/*')).toEqual(['flt/one:a', 'flt/two:b']);
    expect(await list('*/t*:?')).toEqual(['flt/two:b', 'other/three:c']);
    expect(await list('nothing/here')).toEqual([]);
    // An image without a name is <none>, never an internal record name.
    await ok(['run', '--name', 'dangler', ref, 'sh', '-c', 'echo d > /d']);
    const dangling = (await ok(['commit', 'dangler'])).trim();
    const row = await ok([
      'images',
      '--filter',
      'dangling=true',
      '--format',
      '{{.ID}} {{.Repository}}:{{.Tag}}',
    ]);
    expect(row).toContain(`${dangling.slice(7, 19)} <none>:<none>`);
    expect(await ok(['images', '--format', '{{.Repository}}'])).not.toContain('dangling');
    await ok(['rm', 'dangler']);
  });
});

describe('events and API versions', () => {
  it('docker events shows exec_create/exec_start/exec_die with the flat fields', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const id = (await ok(['run', '-d', ref, 'sleep', '600'])).trim();
    const ex = await d.docker(['exec', id, 'sh', '-c', 'exit 4']);
    expect(ex.code).toBe(4);
    const until = Math.floor(Date.now() / 1000) + 1;
    const out = await ok([
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      `container=${id}`,
      '--format',
      '{{json .}}',
    ]);
    const evs = out
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            status: string;
            id: string;
            from: string;
            Action: string;
            Actor: { Attributes: Record<string, string> };
          },
      );
    expect(evs.map((e) => e.Action)).toEqual([
      'create',
      'start',
      'exec_create: sh -c exit 4',
      'exec_start: sh -c exit 4',
      'exec_die',
    ]);
    for (const e of evs) {
      expect(e.status).toBe(e.Action);
      expect(e.id).toBe(id);
      expect(e.from).toBe(ref);
    }
    expect(evs[4].Actor.Attributes.exitCode).toBe('4');
    expect(evs[2].Actor.Attributes.execID).toMatch(/^[0-9a-f]{64}$/);
    await ok(['rm', '-f', id]);
    // Image events carry status and id too (no from), as dockerd's.
    const t0 = Math.floor(Date.now() / 1000) - 1;
    await ok(['tag', ref, 'evtag:one']);
    const imageId = (await ok(['image', 'inspect', '-f', '{{.Id}}', ref])).trim();
    const t1 = Math.floor(Date.now() / 1000) + 1;
    const imageEvents = (
      await ok([
        'events',
        '--since',
        String(t0),
        '--until',
        String(t1),
        '--filter',
        'type=image',
        '--format',
        '{{json .}}',
      ])
    )
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            status: string;
            id: string;
            from?: string;
            Actor: { Attributes: Record<string, string> };
          },
      );
    const img = imageEvents.find((e) => e.Actor.Attributes.name === 'evtag:one')!;
    expect([img.status, img.id, img.from, img.Actor.Attributes.name]).toEqual([
      'tag',
      imageId,
      undefined,
      'evtag:one',
    ]);
  });

  it("a client older than 1.12 or newer than 1.41 gets dockerd's text; 1.12 is served", async () => {
    const old = await d.request('GET', '/v1.11/version');
    expect(old.status).toBe(400);
    expect(JSON.parse(old.body)).toEqual({
      message:
        'client version 1.11 is too old. Minimum supported API version is 1.12, please upgrade your client to a newer version',
    });
    const newer = await d.request('GET', '/v9.99/version');
    expect(newer.status).toBe(400);
    expect(JSON.parse(newer.body)).toEqual({
      message: 'client version 9.99 is too new. Maximum supported API version is 1.41',
    });
    const v = await d.request('GET', '/v1.12/version');
    expect(v.status).toBe(200);
    expect((JSON.parse(v.body) as { MinAPIVersion: string }).MinAPIVersion).toBe('1.12');
    // The CLI with an old API version pinned still talks (1.24: the oldest the CLI itself allows).
    const cli = await run('docker', ['version', '--format', '{{.Server.MinAPIVersion}}'], {
      env: { ...d.env, DOCKER_API_VERSION: '1.24' },
    });
    expect(cli.stdout.trim()).toBe('1.12');
  });
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
    // A body that is not declared JSON, where dockerd checks (CheckForJSON).
    const plain = await d.request('POST', '/v1.41/volumes/create', '{"Name":"plainvol"}', {
      'Content-Type': 'text/plain',
    });
    if (plain.status !== 400 || !plain.body.includes("must be 'application/json'"))
      rows.push(`text/plain volume create -> ${plain.status} ${plain.body}`);
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
