// Resources and the other create options, with the real docker CLI and docker-py: docker update on a
// running container (cgroup files and inspect), State.OOMKilled, --domainname and the container's own
// name in /etc/hosts, --tmpfs over an image VOLUME, namespace sharing, cgroup options, and the fields
// that used to be accepted and ignored, now applied or refused with a clear error.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dockerd } from './dockerd-harness.js';
import { type SecurityFixture, securityFixture } from './dockerd-security-fixture.js';
import { REPO, run } from './harness.js';

let fx: SecurityFixture;
let d: Dockerd;
let img: string;
let sh: SecurityFixture['sh'];
let apiRun: SecurityFixture['apiRun'];

beforeAll(async () => {
  fx = await securityFixture();
  ({ d, img, sh, apiRun } = fx);
}, 90_000);

afterAll(async () => {
  await fx?.stop();
});

describe('update, inspect and the create options', () => {
  const cg = (ctl: string, file: string) => `cat /sys/fs/cgroup/${ctl}/${file}`;

  it('docker update of --cpu-quota, --memory and --pids-limit reaches the running container and inspect', async () => {
    const run = await d.docker([
      'run',
      '-d',
      '--memory',
      '64m',
      '--cpu-quota',
      '50000',
      '--pids-limit',
      '20',
      '--cpuset-cpus',
      '0',
      '--memory-reservation',
      '32m',
      '--cpu-shares',
      '512',
      img,
      'sleep',
      '300',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.trim();
    const inspect = async () =>
      JSON.parse((await d.docker(['inspect', '--format', '{{json .HostConfig}}', id])).stdout) as Record<
        string,
        unknown
      >;
    const limits = async () =>
      (
        await d.docker([
          'exec',
          id,
          'sh',
          '-c',
          `${cg('memory', 'memory.limit_in_bytes')}; ${cg('cpu', 'cpu.cfs_quota_us')}; ${cg('pids', 'pids.max')}; ${cg('cpuset', 'cpuset.cpus')}; ${cg('cpu', 'cpu.shares')}; ${cg('memory', 'memory.soft_limit_in_bytes')}`,
        ])
      ).stdout
        .trim()
        .split('\n');
    expect(await limits()).toEqual(['67108864', '50000', '20', '0', '512', '33554432']);
    expect(await inspect()).toMatchObject({
      Memory: 67108864,
      CpuQuota: 50000,
      PidsLimit: 20,
      CpusetCpus: '0',
      MemoryReservation: 33554432,
      CpuShares: 512,
    });
    const u = await d.docker([
      'update',
      '--memory',
      '128m',
      '--memory-swap',
      '256m',
      '--cpu-quota',
      '80000',
      '--pids-limit',
      '30',
      id,
    ]);
    expect(u.code, u.stderr).toBe(0);
    expect((await limits()).slice(0, 3)).toEqual(['134217728', '80000', '30']);
    expect(await inspect()).toMatchObject({
      Memory: 134217728,
      MemorySwap: 268435456,
      CpuQuota: 80000,
      PidsLimit: 30,
    });
    // -1 lifts a limit (inspect then shows 0 for the pids limit, -1 for the quota, as dockerd).
    expect((await d.docker(['update', '--pids-limit', '-1', '--cpu-quota', '-1', id])).code).toBe(0);
    expect((await limits()).slice(1, 3)).toEqual(['-1', 'max']);
    expect(await inspect()).toMatchObject({ CpuQuota: -1, PidsLimit: 0 });
    // PidsLimit 0 through the API lifts it too; absent fields change nothing.
    await d.request('POST', `/v1.41/containers/${id}/update`, '{"PidsLimit": 40}', {
      'Content-Type': 'application/json',
    });
    expect((await limits())[2]).toBe('40');
    const zero = await d.request('POST', `/v1.41/containers/${id}/update`, '{"PidsLimit": 0}', {
      'Content-Type': 'application/json',
    });
    expect(zero.status).toBe(200);
    expect((await limits()).slice(0, 3)).toEqual(['134217728', '-1', 'max']);
    const bad = await d.request('POST', `/v1.41/containers/${id}/update`, '{"Memory": -1}', {
      'Content-Type': 'application/json',
    });
    expect([bad.status, JSON.parse(bad.body)]).toEqual([
      400,
      { message: 'Minimum memory limit allowed is 6MB' },
    ]);
    await d.docker(['rm', '-f', id]);
  }, 90_000);

  it('State.OOMKilled is true after the OOM killer ends the container', async () => {
    // 200 MiB of zeros held in a shell variable, in a 16 MiB container without swap.
    const r = await d.docker(
      [
        'run',
        '--name',
        'oomer',
        '--memory',
        '16m',
        '--memory-swap',
        '16m',
        img,
        'sh',
        '-c',
        'x=$(head -c 209715200 /dev/zero | tr "\\0" a); echo survived',
      ],
      { timeoutMs: 60_000 },
    );
    expect(r.stdout).not.toContain('survived');
    let state: { OOMKilled: boolean; ExitCode: number } = { OOMKilled: false, ExitCode: 0 };
    for (let i = 0; i < 50 && !state.OOMKilled; i++) {
      state = JSON.parse(
        (await d.docker(['inspect', '--format', '{{json .State}}', 'oomer'])).stdout,
      ) as typeof state;
      if (!state.OOMKilled) await new Promise((res) => setTimeout(res, 100));
    }
    expect(state).toMatchObject({ OOMKilled: true, ExitCode: 137 });
    await d.docker(['rm', '-f', 'oomer']);
  }, 90_000);

  it('--domainname, and the container resolves its own hostname through /etc/hosts', async () => {
    const r = await sh(
      ['--hostname', 'h1', '--domainname', 'example.test'],
      'hostname; cat /proc/sys/kernel/domainname; grep -w h1 /etc/hosts | cut -f2; ping -c1 -W2 h1 >/dev/null && echo resolves',
    );
    expect(r.out.split('\n')).toEqual(['h1', 'example.test', 'h1.example.test h1', 'resolves']);
    const c = await d.docker(['create', '--domainname', 'example.test', img]);
    expect(
      (await d.docker(['inspect', '--format', '{{.Config.Domainname}}', c.stdout.trim()])).stdout.trim(),
    ).toBe('example.test');
    await d.docker(['rm', c.stdout.trim()]);
  });

  it("a --tmpfs on the path of an image's anonymous volume replaces that volume", async () => {
    const c = await d.request(
      'POST',
      '/v1.41/containers/create',
      JSON.stringify({
        Image: img,
        Cmd: ['sh', '-c', 'awk \'$5 == "/data" {print $9}\' /proc/self/mountinfo'],
        Volumes: { '/data': {} },
        HostConfig: { Tmpfs: { '/data': 'size=1m' } },
      }),
      { 'Content-Type': 'application/json' },
    );
    expect(c.status, c.body).toBe(201);
    const id = (JSON.parse(c.body) as { Id: string }).Id;
    const mounts = JSON.parse((await d.docker(['inspect', '--format', '{{json .Mounts}}', id])).stdout) as {
      Type: string;
    }[];
    expect(mounts.map((m) => m.Type)).toEqual(['tmpfs']);
    expect((await d.docker(['start', '-a', id])).stdout.trim()).toBe('tmpfs');
    await d.docker(['rm', '-f', id]);
  });
});

describe('create options that were accepted and ignored: applied or refused', () => {
  it('--ipc and --pid container:X join X; --ipc none has no /dev/shm; X must run', async () => {
    const x = (await d.docker(['run', '-d', '--name', 'nsx', img, 'sleep', '300'])).stdout.trim();
    const xIpc = (await d.docker(['exec', x, 'readlink', '/proc/self/ns/ipc'])).stdout.trim();
    const r = await sh(
      ['--ipc', 'container:nsx', '--pid', 'container:nsx'],
      'readlink /proc/self/ns/ipc; ps -o comm | grep -c "^sleep"',
    );
    expect(r.out.split('\n')).toEqual([xIpc, '1']);
    const own = await sh([], 'readlink /proc/self/ns/ipc');
    expect(own.out).not.toBe(xIpc);
    expect((await sh(['--ipc', 'none'], 'awk \'$5 == "/dev/shm"\' /proc/self/mountinfo | wc -l')).out).toBe(
      '0',
    );
    await d.docker(['stop', '-t', '0', 'nsx']);
    const stopped = await d.docker(['run', '--rm', '--ipc', 'container:nsx', img, 'true']);
    expect(stopped.stderr).toContain(`cannot join IPC of a non running container: ${x}`);
    const missing = await d.docker(['create', '--pid', 'container:nope', img]);
    expect(missing.stderr).toContain('No such container: nope');
    await d.docker(['rm', '-f', 'nsx']);
  }, 90_000);

  it('--cgroupns private and --cgroup-parent are applied', async () => {
    const hostNs = execFileSync('readlink', ['/proc/self/ns/cgroup']).toString().trim();
    const priv = await sh(
      ['--cgroupns', 'private'],
      'readlink /proc/self/ns/cgroup; grep ":pids:" /proc/self/cgroup',
    );
    const [ns, pids] = priv.out.split('\n');
    expect(ns).not.toBe(hostNs);
    expect(pids).toMatch(/:pids:\/$/);
    const parent = `tsctr-sec-${process.pid}`;
    try {
      const r = await sh(['--cgroup-parent', parent], 'grep ":pids:" /proc/self/cgroup');
      expect(r.out).toMatch(new RegExp(`:pids:/${parent}/[0-9a-f]{64}$`));
    } finally {
      // The parent cgroups runc made, and the container's own below them (empty once it is gone).
      for (const ctl of readdirSync('/sys/fs/cgroup')) {
        const dir = `/sys/fs/cgroup/${ctl}/${parent}`;
        try {
          for (const child of readdirSync(dir, { withFileTypes: true }))
            if (child.isDirectory()) rmdirSync(path.join(dir, child.name));
          rmdirSync(dir);
        } catch {
          // not made in this hierarchy
        }
      }
    }
  });

  it('memory swappiness, OOM-kill disable and block-device throttles reach the cgroup', async () => {
    // Any block device of this host (its numbers from sysfs).
    const blk = readdirSync('/sys/block').find((b) => existsSync(`/dev/${b}`))!;
    const numbers = readFileSync(`/sys/block/${blk}/dev`, 'utf8').trim();
    const r = await sh(
      [
        '--memory',
        '64m',
        '--memory-swappiness',
        '7',
        '--oom-kill-disable',
        '--device-read-bps',
        `/dev/${blk}:1mb`,
      ],
      'cat /sys/fs/cgroup/memory/memory.swappiness; grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control; cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device',
    );
    expect(r.out.split('\n')).toEqual(['7', 'oom_kill_disable 1', `${numbers} 1048576`]);
  });

  it('refuses with 400 (404 for a volume driver) what it cannot apply', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [
        { HostConfig: { StorageOpt: { size: '1G' } } },
        400,
        '--storage-opt is supported only for overlay over xfs',
      ],
      [
        { HostConfig: { DeviceRequests: [{ Count: -1, Capabilities: [['gpu']] }] } },
        400,
        'could not select device driver',
      ],
      [{ HostConfig: { UsernsMode: 'private' } }, 400, 'invalid USER mode: private'],
      [{ HostConfig: { IpcMode: 'weird' } }, 400, 'invalid IPC mode: weird'],
      [
        { HostConfig: { Isolation: 'hyperv' } },
        400,
        `Invalid isolation: "hyperv" - linux only supports 'default'`,
      ],
      [
        { HostConfig: { VolumeDriver: 'nope' } },
        404,
        'error looking up volume plugin nope: plugin "nope" not found',
      ],
      [{ HostConfig: { CpuCount: 2 } }, 400, 'CpuCount is only supported on Windows'],
      [{ HostConfig: { KernelMemory: 50000000 } }, 400, 'Kernel memory limits are not supported'],
      [
        { HostConfig: { CpuRealtimeRuntime: 1000 } },
        400,
        'CPU real-time period and runtime are not supported',
      ],
      [{ HostConfig: { BlkioWeight: 300 } }, 400, 'Your kernel does not support Block I/O weight'],
      [{ HostConfig: { CpuQuota: 500 } }, 400, 'CPU cfs quota can not be less than 1ms (i.e. 1000)'],
      [
        { HostConfig: { Memory: 64 << 20, MemoryReservation: 128 << 20 } },
        400,
        'Minimum memory limit can not be less than memory reservation limit',
      ],
      [
        { HostConfig: { MemorySwappiness: 101 } },
        400,
        'Invalid value: 101, valid memory swappiness range is 0-100',
      ],
      [{ NetworkDisabled: true }, 400, 'NetworkDisabled is not supported'],
      [{ HostConfig: { Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] } }, 400, 'invalid ulimit type: bogus'],
      [
        { HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 5 }] } },
        400,
        'ulimit soft limit must be less than or equal to hard limit',
      ],
      [
        { HostConfig: { OomScoreAdj: 2000 } },
        400,
        'Invalid value 2000, range for oom score adj is [-1000, 1000]',
      ],
    ];
    for (const [body, status, msg] of cases) {
      const a = await apiRun(body);
      expect([a.status, a.message], JSON.stringify(body)).toEqual([status, expect.stringContaining(msg)]);
    }
    const c = (await d.docker(['create', img, 'true'])).stdout.trim();
    const u = await d.request(
      'POST',
      `/v1.41/containers/${c}/update`,
      JSON.stringify({ Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 1 }] }),
      {
        'Content-Type': 'application/json',
      },
    );
    expect([u.status, JSON.parse(u.body)]).toEqual([
      400,
      { message: 'Ulimits cannot be changed by an update; recreate the container' },
    ]);
    await d.docker(['rm', c]);
  });
});

describe('docker-py', () => {
  it('sets security options, device rules, sysctls and resources, updates them, and sees OOMKilled', async () => {
    const r = await run('python3', [path.join(REPO, 'integration/clients/dockerpy_security.py'), img], {
      env: d.env,
      timeoutMs: 90_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'seccomp nnp NoNewPrivs:1 Seccomp:2',
      'device-rule c 7:128 rwm',
      'sysctl 2000 3000',
      'update 60000 100663296 0 60000 100663296',
      'refused sysctls 400',
      'refused security_opt 400',
      'refused storage_opt 400',
      'oom 137 True',
    ]);
  }, 120_000);
});
