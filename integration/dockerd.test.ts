// The real docker CLI 28 against tsctr-dockerd over a real tsctrd: images from a local registry,
// containers run with runc, and the output and exit codes a user sees.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dockerd } from './dockerd-harness.js';
import { DIST, run } from './harness.js';
import { type RunningRegistry, pushTestImage, startRegistry } from './registry.js';
import { busybox } from './testimages.js';
import { untilValue as until } from './wait.js';

let d: Dockerd;
let reg: RunningRegistry;
let ref: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  reg = await startRegistry();
  ref = await pushTestImage(reg, 'busybox:latest', await busybox());
  d = await Dockerd.start();
}, 60_000);

afterAll(async () => {
  await d?.cleanup();
  await reg?.stop();
});

describe('docker CLI against tsctr-dockerd', () => {
  it('reports API 1.41 in docker version', async () => {
    const r = await d.docker(['version', '--format', '{{.Server.APIVersion}} {{.Client.APIVersion}}']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('1.41 1.41');
  });

  it('pulls with progress and lists the image', async () => {
    const r = await d.docker(['pull', ref]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Pull complete');
    expect(r.stdout).toMatch(/Digest: sha256:[0-9a-f]{64}/);
    expect(r.stdout).toContain(`Status: Downloaded newer image for ${ref}`);
    expect(r.stdout.trim().split('\n').pop()).toBe(ref);
    const again = await d.docker(['pull', ref]);
    expect(again.stdout).toContain(`Status: Image is up to date for ${ref}`);
    const ls = await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    expect(ls.stdout).toMatch(new RegExp(`${ref.replace(/[.:/]/g, '\\$&')} [0-9a-f]{12}`));
  });

  it('runs --rm echo hi, and the container is gone after', async () => {
    const r = await d.docker(['run', '--rm', '--name', 'echoer', ref, 'echo', 'hi']);
    expect(r).toMatchObject({ code: 0, stdout: 'hi\n' });
    const ps = await d.docker(['ps', '-a', '--format', '{{.Names}}']);
    expect(ps.stdout.split('\n')).not.toContain('echoer');
  });

  it('gives the exit code, separate stderr, and piped stdin', async () => {
    expect((await d.docker(['run', '--rm', ref, 'sh', '-c', 'exit 7'])).code).toBe(7);
    const err = await d.docker(['run', '--rm', ref, 'sh', '-c', 'echo out; echo err >&2']);
    expect(err.stdout).toBe('out\n');
    expect(err.stderr).toBe('err\n');
    const cat = await d.docker(['run', '--rm', '-i', ref, 'sh', '-c', 'cat; echo done'], {
      input: 'from-stdin\n',
    });
    expect(cat).toMatchObject({ code: 0, stdout: 'from-stdin\ndone\n' });
  });

  it('maps start errors to exit codes 127 and 126', async () => {
    const r = await d.docker(['run', '--rm', ref, '/nonexistent']);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('no such file or directory');
    const dir = await d.docker(['run', '--rm', ref, '/etc']);
    expect([126, 127]).toContain(dir.code);
  });

  it('runs detached; ps, exec, top, stats, pause, rename, stop, start, kill, rm', async () => {
    const id = (await d.docker(['run', '-d', '--name', 'web', ref, 'sleep', '600'])).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = await d.docker(['ps', '--format', '{{.ID}} {{.Names}} {{.Status}} {{.Command}}']);
    expect(ps.stdout).toMatch(new RegExp(`^${id.slice(0, 12)} web Up .* "sleep 600"`, 'm'));
    expect((await d.docker(['exec', 'web', 'echo', 'x'])).stdout).toBe('x\n');
    expect((await d.docker(['exec', 'web', 'sh', '-c', 'exit 4'])).code).toBe(4);
    expect(
      (await d.docker(['exec', '-e', 'A=b', '-w', '/tmp', 'web', 'sh', '-c', 'echo $A $(pwd)'])).stdout,
    ).toBe('b /tmp\n');
    const top = await d.docker(['top', 'web']);
    expect(top.stdout).toMatch(/PID/);
    expect(top.stdout).toContain('sleep 600');
    const stats = await d.docker(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}', 'web']);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/^web \d+(\.\d+)?[KMG]iB \/ /);
    expect((await d.docker(['pause', 'web'])).code).toBe(0);
    expect(
      (await d.docker(['ps', '--filter', 'status=paused', '--format', '{{.Names}} {{.Status}}'])).stdout,
    ).toMatch(/web Up .*\(Paused\)/);
    expect((await d.docker(['unpause', 'web'])).code).toBe(0);
    expect((await d.docker(['rename', 'web', 'web2'])).code).toBe(0);
    expect((await d.docker(['inspect', '-f', '{{.Name}} {{.State.Status}}', id])).stdout.trim()).toBe(
      '/web2 running',
    );
    const t0 = Date.now();
    expect((await d.docker(['stop', '-t', '1', 'web2'])).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(
      (await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'web2'])).stdout.trim(),
    ).toBe('exited 137');
    expect((await d.docker(['ps', '-a', '--filter', 'name=web2', '--format', '{{.Status}}'])).stdout).toMatch(
      /^Exited \(137\) .* ago/,
    );
    expect((await d.docker(['start', 'web2'])).code).toBe(0);
    expect((await d.docker(['inspect', '-f', '{{.State.Running}}', 'web2'])).stdout.trim()).toBe('true');
    const rm = await d.docker(['rm', 'web2']);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toContain('You cannot remove a running container');
    expect((await d.docker(['kill', 'web2'])).code).toBe(0);
    expect((await d.docker(['inspect', '-f', '{{.State.ExitCode}}', 'web2'])).stdout.trim()).toBe('137');
    const kill2 = await d.docker(['kill', 'web2']);
    expect(kill2.code).toBe(1);
    expect(kill2.stderr).toContain('is not running');
    expect((await d.docker(['rm', 'web2'])).code).toBe(0);
    expect((await d.docker(['inspect', 'web2'])).stderr).toContain('No such object: web2');
  });

  it('restarts, and waits', async () => {
    await d.docker([
      'run',
      '-d',
      '--name',
      'rs',
      ref,
      'sh',
      '-c',
      "trap 'exit 0' TERM; while true; do sleep 0.1; done",
    ]);
    const pid1 = (await d.docker(['inspect', '-f', '{{.State.Pid}}', 'rs'])).stdout.trim();
    expect((await d.docker(['restart', '-t', '5', 'rs'])).code).toBe(0);
    const pid2 = (await d.docker(['inspect', '-f', '{{.State.Pid}} {{.State.Running}}', 'rs'])).stdout.trim();
    expect(pid2).not.toBe(`${pid1} true`);
    expect(pid2).toMatch(/ true$/);
    const waiting = d.docker(['wait', 'rs']);
    await sleep(300);
    await d.docker(['stop', 'rs']);
    expect((await waiting).stdout.trim()).toBe('0');
    await d.docker(['rm', '-f', 'rs']);
  });

  it('keeps logs: tail, timestamps, stderr, follow', async () => {
    await d.docker([
      'run',
      '-d',
      '--name',
      'lg',
      ref,
      'sh',
      '-c',
      'for i in 1 2 3 4 5 6 7; do echo line$i; done; echo oops >&2',
    ]);
    expect((await d.docker(['wait', 'lg'])).stdout.trim()).toBe('0');
    const all = await d.docker(['logs', 'lg']);
    expect(all.stdout).toBe('line1\nline2\nline3\nline4\nline5\nline6\nline7\n');
    expect(all.stderr).toBe('oops\n');
    const tail = await d.docker(['logs', '--tail', '2', 'lg']);
    expect(tail.stdout + tail.stderr).toMatch(/line7\n/);
    expect(tail.stdout).not.toContain('line5');
    const ts = await d.docker(['logs', '-t', '--tail', '5', 'lg']);
    expect(ts.stdout.split('\n')[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line4$/);
    await d.docker([
      'run',
      '-d',
      '--name',
      'lf',
      ref,
      'sh',
      '-c',
      'for i in 1 2 3; do echo tick$i; sleep 0.3; done',
    ]);
    const f = await d.docker(['logs', '-f', '--tail', '5', '-t', 'lf'], { timeoutMs: 15_000 });
    expect(f.stdout.replace(/^\S+ /gm, '')).toBe('tick1\ntick2\ntick3\n');
    expect(f.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z tick3$/m);
    await d.docker(['rm', 'lg', 'lf']);
  });

  it('honours run options: user, workdir, env, entrypoint, read-only, memory, pids, caps, privileged', async () => {
    const sh = (args: string[], cmd: string) => d.docker(['run', '--rm', ...args, ref, 'sh', '-c', cmd]);
    expect((await sh(['--user', 'nobody'], 'id -u')).stdout).toBe('65534\n');
    expect((await sh(['-u', '1234:5678'], 'echo $(id -u):$(id -g)')).stdout).toBe('1234:5678\n');
    expect((await sh(['-w', '/tmp', '-e', 'GREETING=hey'], 'echo $GREETING $(pwd)')).stdout).toBe(
      'hey /tmp\n',
    );
    expect((await d.docker(['run', '--rm', '--entrypoint', 'echo', ref, 'via', 'entrypoint'])).stdout).toBe(
      'via entrypoint\n',
    );
    const ro = await sh(['--read-only'], 'touch /x');
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
    const mem = await sh(
      ['--memory', '64m'],
      'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
    );
    expect(mem.stdout.trim()).toBe(String(64 << 20));
    const pids = await sh(
      ['--pids-limit', '32'],
      'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max',
    );
    expect(pids.stdout.trim()).toBe('32');
    // CAP_CHOWN (bit 0) goes with --cap-drop ALL; --privileged has every capability.
    const capEff = (r: { stdout: string }) => BigInt(`0x${/CapEff:\s+([0-9a-f]+)/.exec(r.stdout)![1]}`);
    expect(capEff(await sh(['--cap-drop', 'ALL'], 'grep CapEff /proc/self/status')) & 1n).toBe(0n);
    expect(capEff(await sh([], 'grep CapEff /proc/self/status')) & 1n).toBe(1n);
    expect(
      capEff(await sh(['--privileged'], 'grep CapEff /proc/self/status')) >
        capEff(await sh([], 'grep CapEff /proc/self/status')),
    ).toBe(true);
    const shm = await sh(['--shm-size', '16m'], "df -k /dev/shm | tail -1 | awk '{print $2}'");
    expect(shm.stdout.trim()).toBe('16384');
  });

  it('updates the limits of a running container, and its restart policy', async () => {
    await d.docker(['run', '-d', '--name', 'up1', '--memory', '64m', ref, 'sleep', '600']);
    const limit = () =>
      d.docker([
        'exec',
        'up1',
        'sh',
        '-c',
        'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
      ]);
    expect((await limit()).stdout.trim()).toBe(String(64 << 20));
    const u = await d.docker([
      'update',
      '--memory',
      '128m',
      '--memory-swap',
      '256m',
      '--restart',
      'always',
      'up1',
    ]);
    expect(u.code, u.stderr).toBe(0);
    expect((await limit()).stdout.trim()).toBe(String(128 << 20));
    expect(
      (
        await d.docker(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}', 'up1'])
      ).stdout.trim(),
    ).toBe(`${128 << 20} always`);
    // The stored spec changed too: a restart keeps the new limit.
    await d.docker(['restart', '-t', '0', 'up1']);
    expect((await limit()).stdout.trim()).toBe(String(128 << 20));
    await d.docker(['rm', '-f', 'up1']);
  });

  it('runs health checks: starting, then healthy; a failing check makes it unhealthy', async () => {
    await d.docker([
      'run',
      '-d',
      '--name',
      'hc',
      '--health-cmd',
      'test -f /tmp/ok',
      '--health-interval',
      '1s',
      '--health-retries',
      '2',
      ref,
      'sh',
      '-c',
      'sleep 1.5; touch /tmp/ok; sleep 600',
    ]);
    expect((await d.docker(['ps', '--filter', 'name=hc', '--format', '{{.Status}}'])).stdout).toMatch(
      /\(health: starting\)/,
    );
    await until(async () =>
      (await d.docker(['inspect', '-f', '{{.State.Health.Status}}', 'hc'])).stdout.trim() === 'healthy'
        ? true
        : undefined,
    );
    expect(
      (await d.docker(['ps', '--filter', 'health=healthy', '--format', '{{.Names}} {{.Status}}'])).stdout,
    ).toMatch(/^hc Up .* \(healthy\)$/m);
    const log = JSON.parse(
      (await d.docker(['inspect', '-f', '{{json .State.Health.Log}}', 'hc'])).stdout,
    ) as Array<{ ExitCode: number }>;
    expect(log.at(-1)?.ExitCode).toBe(0);
    await d.docker([
      'run',
      '-d',
      '--name',
      'hc2',
      '--health-cmd',
      'exit 1',
      '--health-interval',
      '500ms',
      '--health-retries',
      '1',
      ref,
      'sleep',
      '600',
    ]);
    await until(async () =>
      (
        await d.docker(['inspect', '-f', '{{.State.Health.Status}} {{.State.Health.FailingStreak}}', 'hc2'])
      ).stdout
        .trim()
        .startsWith('unhealthy')
        ? true
        : undefined,
    );
    await d.docker(['rm', '-f', 'hc', 'hc2']);
  });

  it('commits a container into an image that keeps its changes, deletions included', async () => {
    await d.docker([
      'run',
      '-d',
      '--name',
      'cm',
      ref,
      'sh',
      '-c',
      'echo committed > /c.txt; rm /etc/group; sleep 600',
    ]);
    await until(async () =>
      (await d.docker(['exec', 'cm', 'cat', '/c.txt'])).stdout === 'committed\n' ? true : undefined,
    );
    const c = await d.docker([
      'commit',
      '-c',
      'CMD ["cat","/c.txt"]',
      '-m',
      'my change',
      'cm',
      'mine/committed:1',
    ]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await d.docker(['run', '--rm', 'mine/committed:1'])).stdout).toBe('committed\n');
    expect((await d.docker(['run', '--rm', 'mine/committed:1', 'ls', '/etc/group'])).code).not.toBe(0);
    expect(
      (await d.docker(['history', '--format', '{{.Comment}}', 'mine/committed:1'])).stdout.split('\n')[0],
    ).toBe('my change');
    expect((await d.docker(['inspect', '-f', '{{.State.Running}}', 'cm'])).stdout.trim()).toBe('true');
    await d.docker(['rm', '-f', 'cm']);
    await d.docker(['rmi', 'mine/committed:1']);
  });

  it('lists filesystem changes with docker diff', async () => {
    await d.docker([
      'run',
      '--name',
      'df1',
      ref,
      'sh',
      '-c',
      'echo x > /newfile; rm /etc/group; echo z >> /etc/passwd',
    ]);
    const diff = (await d.docker(['diff', 'df1'])).stdout.trim().split('\n');
    expect(diff).toEqual(expect.arrayContaining(['A /newfile', 'D /etc/group', 'C /etc/passwd', 'C /etc']));
    expect(diff).not.toContain('A /etc/hostname');
    await d.docker(['rm', 'df1']);
  });

  it('runs --init with a static init as PID 1, or refuses it clearly when the host has none', async () => {
    const have = (process.env.PATH ?? '')
      .split(':')
      .some((dir) => ['docker-init', 'tini-static'].some((n) => existsSync(path.join(dir, n))));
    const r = await d.docker([
      'run',
      '--rm',
      '--init',
      ref,
      'sh',
      '-c',
      'cat /proc/1/cmdline | tr "\\0" " "',
    ]);
    if (have) expect(r.stdout).toMatch(/^\/sbin\/docker-init -- sh/);
    else {
      expect(r.code).toBe(125);
      expect(r.stderr).toContain('--init: no static init binary');
    }
  });

  it('starts attached (start -a) and attaches to a running container', async () => {
    await d.docker(['create', '--name', 'sa', ref, 'sh', '-c', 'echo started; exit 6']);
    const sa = await d.docker(['start', '-a', 'sa']);
    expect(sa).toMatchObject({ code: 6, stdout: 'started\n' });
    // start -a again replays nothing old: only the new run's output.
    expect((await d.docker(['start', '-a', 'sa'])).stdout).toBe('started\n');
    await d.docker(['rm', 'sa']);
    await d.docker(['run', '-d', '--name', 'at', ref, 'sh', '-c', 'sleep 1; echo late; exit 2']);
    const at = await d.docker(['attach', 'at'], { timeoutMs: 10_000 });
    expect(at).toMatchObject({ code: 2, stdout: 'late\n' });
    await d.docker(['rm', 'at']);
  });

  it('applies restart policies', async () => {
    await d.docker(['run', '-d', '--name', 'fail', '--restart', 'on-failure:2', ref, 'sh', '-c', 'exit 3']);
    const state = await until(async () => {
      const r = await d.docker([
        'inspect',
        '-f',
        '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}',
        'fail',
      ]);
      return r.stdout.trim() === '2 exited 3' ? r.stdout : undefined;
    });
    expect(state.trim()).toBe('2 exited 3');
    await d.docker(['rm', 'fail']);
  });

  it('refuses a taken name with 409 and unknown objects with 404', async () => {
    await d.docker(['create', '--name', 'dup', ref, 'true']);
    const again = await d.docker(['create', '--name', 'dup', ref, 'true']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('Conflict. The container name "/dup" is already in use by container');
    await d.docker(['rm', 'dup']);
    expect((await d.docker(['rm', 'nosuch'])).stderr).toContain('No such container: nosuch');
    expect((await d.docker(['inspect', 'nosuch'])).stderr).toContain('No such object: nosuch');
    expect((await d.docker(['image', 'inspect', 'nosuch'])).stderr).toContain('No such image: nosuch');
    const bad = await d.request('POST', '/v1.41/containers/create', '{"Image": ');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toBeTruthy();
    const missing = await d.request(
      'POST',
      '/containers/create',
      JSON.stringify({ Image: 'nosuchimage:1' }),
      { 'Content-Type': 'application/json' },
    );
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).message).toContain('No such image');
    const huge = await d.request('POST', '/containers/create', Buffer.alloc(20 << 20, 0x20), {
      'Content-Type': 'application/json',
    });
    expect([400, 413]).toContain(huge.status);
    expect((await d.docker(['version'])).code).toBe(0);
  });

  it('keeps volume data across containers, and lists and removes volumes', async () => {
    expect((await d.docker(['volume', 'create', 'vol1'])).stdout.trim()).toBe('vol1');
    await d.docker(['run', '--rm', '-v', 'vol1:/data', ref, 'sh', '-c', 'echo keep > /data/f']);
    expect((await d.docker(['run', '--rm', '-v', 'vol1:/data:ro', ref, 'cat', '/data/f'])).stdout).toBe(
      'keep\n',
    );
    const ro = await d.docker(['run', '--rm', '-v', 'vol1:/data:ro', ref, 'sh', '-c', 'echo x > /data/g']);
    expect(ro.code).not.toBe(0);
    expect((await d.docker(['volume', 'ls', '--format', '{{.Name}} {{.Driver}}'])).stdout).toContain(
      'vol1 local',
    );
    const vi = JSON.parse((await d.docker(['volume', 'inspect', 'vol1'])).stdout)[0];
    // The untyped `docker inspect` falls through container, image and network to the volume.
    expect(JSON.parse((await d.docker(['inspect', 'vol1'])).stdout)[0]).toMatchObject({
      Name: 'vol1',
      Driver: 'local',
    });
    expect(JSON.parse((await d.docker(['inspect', ref])).stdout)[0].RepoTags).toContain(ref);
    expect(readFileSync(path.join(vi.Mountpoint, 'f'), 'utf8')).toBe('keep\n');
    const host = mkdtempSync(path.join(os.tmpdir(), 'bind-'));
    writeFileSync(path.join(host, 'h'), 'host-file\n');
    expect((await d.docker(['run', '--rm', '-v', `${host}:/h`, ref, 'cat', '/h/h'])).stdout).toBe(
      'host-file\n',
    );
    expect(
      (
        await d.docker([
          'run',
          '--rm',
          '--tmpfs',
          '/scratch',
          ref,
          'sh',
          '-c',
          'grep " /scratch " /proc/mounts',
        ])
      ).stdout,
    ).toContain('tmpfs');
    expect((await d.docker(['volume', 'rm', 'vol1'])).code).toBe(0);
    // A new volume starts with the image's files at its mount point, unless nocopy.
    expect(
      (await d.docker(['run', '--rm', '-v', 'etcvol:/etc', ref, 'grep', '^root:', '/etc/passwd'])).stdout,
    ).toMatch(/^root:/);
    const ev = JSON.parse((await d.docker(['volume', 'inspect', 'etcvol'])).stdout)[0];
    expect(existsSync(path.join(ev.Mountpoint, 'passwd'))).toBe(true);
    expect((await d.docker(['run', '--rm', '-v', 'nocp:/etc:nocopy', ref, 'ls', '/etc'])).stdout).toBe('');
    await d.docker(['volume', 'rm', 'etcvol', 'nocp']);
    expect(existsSync(vi.Mountpoint)).toBe(false);
  });

  it('generates /etc/hostname, hosts and resolv.conf; none and host networks', async () => {
    const r = await d.docker([
      'run',
      '--rm',
      '--hostname',
      'box1',
      ref,
      'sh',
      '-c',
      'hostname; grep box1 /etc/hosts; grep nameserver /etc/resolv.conf',
    ]);
    expect(r.stdout.split('\n')[0]).toBe('box1');
    // The daemon's --dns (the harness gives 127.0.0.1) is every container's resolver.
    expect(r.stdout.trim().split('\n').slice(-1)).toEqual(['nameserver 127.0.0.1']);
    // On the default bridge the hosts line carries the container's address, as dockerd writes it.
    expect(r.stdout).toMatch(new RegExp(`^${d.bip.split('.').slice(0, 3).join('\\.')}\\.\\d+\tbox1$`, 'm'));
    const none = await d.docker([
      'run',
      '--rm',
      '--network',
      'none',
      ref,
      'sh',
      '-c',
      'ip -o link | cut -d: -f2 | tr -d " "; ip addr show lo | grep -c "state UNKNOWN\\|UP"',
    ]);
    expect(none.stdout.split('\n')[0]).toBe('lo');
    const host = await d.docker(['run', '--rm', '--network', 'host', ref, 'hostname']);
    expect(host.stdout.trim()).toBe(os.hostname());
  });

  it('copies files in and out with docker cp', async () => {
    await d.docker(['run', '-d', '--name', 'cp1', ref, 'sleep', '600']);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cp-'));
    writeFileSync(path.join(dir, 'in.txt'), 'copied in\n');
    expect((await d.docker(['cp', path.join(dir, 'in.txt'), 'cp1:/tmp/'])).code).toBe(0);
    expect((await d.docker(['exec', 'cp1', 'cat', '/tmp/in.txt'])).stdout).toBe('copied in\n');
    await d.docker(['exec', 'cp1', 'sh', '-c', 'echo from container > /tmp/out.txt']);
    expect((await d.docker(['cp', 'cp1:/tmp/out.txt', dir])).code).toBe(0);
    expect(readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('from container\n');
    // A hostile tar: an entry climbing out with `..` is refused, and nothing lands on the host.
    const sentinel = `tsctr-escape-${process.pid}`;
    const p = pack();
    p.entry({ name: `../../../../../../../../tmp/${sentinel}` }, 'x');
    p.finalize();
    const chunks: Buffer[] = [];
    for await (const c of p) chunks.push(c as Buffer);
    const put = await d.request('PUT', '/containers/cp1/archive?path=%2Ftmp', Buffer.concat(chunks), {
      'Content-Type': 'application/x-tar',
    });
    expect(put.status).toBe(400);
    expect(existsSync(`/tmp/${sentinel}`)).toBe(false);
    expect((await d.docker(['exec', 'cp1', 'ls', '/tmp'])).stdout).not.toContain(sentinel);
    // A container that is not running: its rootfs snapshot is mounted for the copy.
    await d.docker(['create', '--name', 'cp2', ref, 'cat', '/in.txt']);
    expect((await d.docker(['cp', path.join(dir, 'in.txt'), 'cp2:/'])).code).toBe(0);
    expect((await d.docker(['start', '-a', 'cp2'])).stdout).toBe('copied in\n');
    expect((await d.docker(['cp', 'cp2:/etc/passwd', path.join(dir, 'passwd')])).code).toBe(0);
    expect(readFileSync(path.join(dir, 'passwd'), 'utf8')).toMatch(/^root:/);
    await d.docker(['rm', 'cp2']);
    const missing = await d.docker(['cp', 'cp1:/nope', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Could not find the file /nope');
    await d.docker(['rm', '-f', 'cp1']);
  });

  it('round-trips docker save | docker load, tags, history and rmi', async () => {
    expect((await d.docker(['tag', ref, 'mine/bb:v1'])).code).toBe(0);
    const hist = await d.docker(['history', 'mine/bb:v1']);
    expect(hist.code).toBe(0);
    expect(hist.stdout).toContain('IMAGE');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'save-'));
    const tar = path.join(dir, 'img.tar');
    expect((await d.docker(['save', '-o', tar, 'mine/bb:v1'])).code).toBe(0);
    const rmi = await d.docker(['rmi', 'mine/bb:v1']);
    expect(rmi.stdout).toContain('Untagged: mine/bb:v1');
    expect((await d.docker(['image', 'inspect', 'mine/bb:v1'])).code).toBe(1);
    const load = await d.docker(['load', '-i', tar]);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toContain('Loaded image: mine/bb:v1');
    expect((await d.docker(['run', '--rm', 'mine/bb:v1', 'echo', 'loaded'])).stdout).toBe('loaded\n');
    await d.docker(['rmi', 'mine/bb:v1']);
  });

  it('pushes to the registry with progress, and pulls it back', async () => {
    const target = `${reg.host}/pushed:1.0`;
    await d.docker(['tag', ref, target]);
    const push = await d.docker(['push', target]);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toContain(`The push refers to repository [${reg.host}/pushed]`);
    expect(push.stdout).toMatch(/1\.0: digest: sha256:[0-9a-f]{64} size: \d+/);
    await d.docker(['rmi', target]);
    const pull = await d.docker(['pull', target]);
    expect(pull.code, pull.stderr).toBe(0);
    const rmiUsed = await d.docker(['rmi', 'nosuch:image']);
    expect(rmiUsed.code).toBe(1);
  });

  it('pulls a missing image on docker run', async () => {
    const target = `${reg.host}/autopull:1`;
    await d.docker(['tag', ref, target]);
    expect((await d.docker(['push', target])).code).toBe(0);
    await d.docker(['rmi', target]);
    const r = await d.docker(['run', '--rm', target, 'echo', 'pulled']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Unable to find image '${target}' locally`);
    expect(r.stdout).toContain('pulled\n');
  });

  it('streams events live while a container runs', async () => {
    const child = spawn(
      'docker',
      ['events', '--filter', 'type=container', '--format', '{{.Action}} {{.Actor.Attributes.name}}'],
      { env: { ...process.env, ...d.env } },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await sleep(500);
    await d.docker(['run', '--rm', '--name', 'live-evt', ref, 'sh', '-c', 'exit 3']);
    await until(async () => (out.includes('destroy live-evt') ? true : undefined), 10_000);
    child.kill();
    const lines = out
      .trim()
      .split('\n')
      .filter((l) => l.endsWith(' live-evt'));
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['create', 'attach', 'start', 'die', 'destroy']);
  });

  it('pulls by digest and refuses an unknown tag with the registry text', async () => {
    const digest = (
      await d.docker(['image', 'inspect', '-f', '{{index .RepoDigests 0}}', ref])
    ).stdout.trim();
    expect(digest).toMatch(/@sha256:[0-9a-f]{64}$/);
    const byDigest = await d.docker(['pull', digest]);
    expect(byDigest.code, byDigest.stderr).toBe(0);
    const missing = await d.docker(['pull', `${reg.host}/busybox:nope`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('manifest unknown');
  });

  it('refuses to listen on TCP without mutual TLS', async () => {
    const r = await run(process.execPath, [
      path.join(DIST, 'tsctr-dockerd.js'),
      '-H',
      'tcp://127.0.0.1:23751',
      '--containerd',
      d.tsctrd.address,
      '--data-root',
      path.join(d.tsctrd.dir, 'tcp-root'),
      '--exec-root',
      path.join(d.tsctrd.dir, 'tcp-exec'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('without mutual TLS');
  });

  it('streams events while things happen', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await d.docker(['run', '--rm', '--name', 'evt', ref, 'true']);
    await sleep(200);
    const until = Math.floor(Date.now() / 1000) + 1;
    const ev = await d.docker(
      [
        'events',
        '--since',
        String(since),
        '--until',
        String(until),
        '--filter',
        'container=evt',
        '--format',
        '{{.Type}} {{.Action}}',
      ],
      { timeoutMs: 10_000 },
    );
    const actions = ev.stdout.trim().split('\n');
    expect(actions).toEqual(
      expect.arrayContaining([
        'container create',
        'container attach',
        'container start',
        'container die',
        'container destroy',
      ]),
    );
    expect(actions.indexOf('container create')).toBeLessThan(actions.indexOf('container start'));
    expect(actions.indexOf('container die')).toBeLessThan(actions.indexOf('container destroy'));
  });

  it('imports a rootfs tar with changes, and exports a container', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'imp-'));
    const tar = path.join(dir, 'root.tar');
    await d.docker(['create', '--name', 'exp', ref, 'true']);
    expect((await d.docker(['export', '-o', tar, 'exp'])).code).toBe(0);
    await d.docker(['rm', 'exp']);
    const imp = await d.docker(['import', '--change', 'CMD ["echo","imported"]', tar, 'imported:1']);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await d.docker(['run', '--rm', 'imported:1'])).stdout).toBe('imported\n');
    await d.docker(['rmi', 'imported:1']);
  });

  it('answers info and system df', async () => {
    const info = await d.docker(['info', '--format', '{{.Driver}} {{.NCPU}} {{.OSType}} {{.ServerVersion}}']);
    expect(info.stdout.trim()).toMatch(new RegExp(`^overlay2 ${os.cpus().length} linux \\S+`));
    const df = await d.docker(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
    expect(df.stdout).toMatch(/^Images [1-9]/m);
    await d.docker(['create', '--name', 'prunable', ref, 'true']);
    const prune = await d.docker(['system', 'prune', '-f']);
    expect(prune.code, prune.stderr).toBe(0);
    expect((await d.docker(['ps', '-a', '--format', '{{.Names}}'])).stdout).not.toContain('prunable');
  });
});
