// Docker's security defaults, checked from inside containers with the real docker CLI: the default
// seccomp profile (and unconfined / a profile file), no_new_privs only when asked (per container or
// daemon-wide), capabilities, masked and read-only paths, devices, and the resource and sysctl options,
// each compared with what dockerd 20.10 gives the same `docker run`.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dockerd } from './dockerd-harness.js';
import { REPO, run } from './harness.js';
import { type RunningRegistry, pushTestImage, startRegistry } from './registry.js';
import { buildImage, busyboxEntries } from './testimages.js';

let reg: RunningRegistry;
let d: Dockerd;
let img: string;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'tsctr-sec-'));
  // The probe: a static binary (uids and no_new_privs, keyctl, bind, unprivileged ICMP ping).
  const probe = path.join(tmp, 'sectest');
  execFileSync('gcc', ['-static', '-O1', '-o', probe, path.join(REPO, 'integration/clients/sectest.c')]);
  const bin = readFileSync(probe);
  reg = await startRegistry();
  img = await pushTestImage(
    reg,
    'sec:latest',
    await buildImage([
      busyboxEntries(),
      [
        { name: 'usr/', type: 'directory' },
        { name: 'usr/local/', type: 'directory' },
        { name: 'usr/local/bin/', type: 'directory' },
        { name: 'usr/local/bin/sectest', data: bin, mode: 0o755 },
        // setuid-root copies: the probe, and busybox (whose `su` insists on running setuid).
        { name: 'suid/', type: 'directory' },
        { name: 'suid/sectest', data: bin, mode: 0o4755 },
        { name: 'suid/busybox', data: readFileSync('/bin/busybox'), mode: 0o4755 },
      ],
    ]),
  );
  d = await Dockerd.start();
  const p = await d.docker(['pull', img]);
  if (p.code !== 0) throw new Error(`docker pull failed: ${p.stderr}`);
}, 90_000);

afterAll(async () => {
  await d?.cleanup();
  await reg?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** `docker run --rm [opts] img sh -c script`: exit code and both outputs. */
async function sh(opts: string[], script: string) {
  const r = await d.docker(['run', '--rm', ...opts, img, 'sh', '-c', script], { timeoutMs: 60_000 });
  return { code: r.code, out: r.stdout.trim(), err: r.stderr.trim() };
}

const statusField = (field: string) => `grep '^${field}:' /proc/self/status | tr -d '\\t '`;

describe('seccomp', () => {
  it('applies Docker default profile: unshare and keyctl get EPERM', async () => {
    const r = await sh(
      [],
      `${statusField('Seccomp')}; unshare -r id; echo rc=$?; /usr/local/bin/sectest keyctl`,
    );
    expect(r.out.split('\n')).toEqual(['Seccomp:2', 'rc=1', 'keyctl: EPERM']);
    expect(r.err).toContain('unshare(0x10000000): Operation not permitted');
  });

  it('seccomp=unconfined runs without a filter: the same calls work', async () => {
    const r = await sh(
      ['--security-opt', 'seccomp=unconfined'],
      `${statusField('Seccomp')}; unshare -r id; /usr/local/bin/sectest keyctl`,
    );
    expect(r.out.split('\n')).toEqual(['Seccomp:0', 'uid=0(root) gid=0(root) groups=0(root)', 'ok']);
  });

  it('opens the calls of an added capability (CAP_SYS_ADMIN: unshare)', async () => {
    const r = await sh(['--cap-add', 'SYS_ADMIN'], `${statusField('Seccomp')}; unshare -r id`);
    expect(r.out.split('\n')).toEqual(['Seccomp:2', 'uid=0(root) gid=0(root) groups=0(root)']);
  });

  it('a privileged container has no filter', async () => {
    expect((await sh(['--privileged'], statusField('Seccomp'))).out).toBe('Seccomp:0');
  });

  it('seccomp=<file>: the CLI sends the profile, which is applied', async () => {
    const file = path.join(tmp, 'profile.json');
    writeFileSync(
      file,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
      }),
    );
    const r = await sh(
      ['--security-opt', `seccomp=${file}`],
      `${statusField('Seccomp')}; mkdir /x; unshare -r true && echo unshared`,
    );
    expect(r.out.split('\n')).toEqual(['Seccomp:2', 'unshared']);
    expect(r.err).toContain("mkdir: can't create directory '/x': Permission denied");
    writeFileSync(
      file,
      '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "NOPE"}]}',
    );
    const bad = await sh(['--security-opt', `seccomp=${file}`], 'true');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('Decoding seccomp profile failed: syscalls[0]: invalid action "NOPE"');
  });

  it('docker info lists the default profile', async () => {
    const r = await d.docker(['info', '--format', '{{json .SecurityOptions}}']);
    const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    expect(JSON.parse(r.stdout)).toEqual(['name=seccomp,profile=default', ...(v2 ? ['name=cgroupns'] : [])]);
  });
});

describe('no_new_privs', () => {
  it('is off by default: a setuid binary runs with its owner as effective user', async () => {
    const r = await sh(
      ['--user', '65534'],
      '/usr/local/bin/sectest ids; /suid/sectest ids; /suid/busybox su -c id root </dev/null 2>&1',
    );
    // su got far enough to check a password: it runs as root.
    expect(r.out.split('\n')).toEqual([
      'uid=65534 euid=65534 nnp=0',
      'uid=65534 euid=0 nnp=0',
      'Password: ',
      'su: incorrect password',
    ]);
  });

  it.each([['no-new-privileges'], ['no-new-privileges:true'], ['no-new-privileges=true']])(
    '--security-opt %s turns it on: setuid no longer elevates',
    async (opt) => {
      const r = await sh(
        ['--user', '65534', '--security-opt', opt],
        '/suid/sectest ids; /suid/busybox su -c id root </dev/null',
      );
      expect(r.out).toBe('uid=65534 euid=65534 nnp=1');
      expect(r.err).toContain('su: must be suid to work properly');
    },
  );

  it('refuses unknown or malformed security options with 400', async () => {
    for (const [opt, msg] of [
      ['no-new-privileges=maybe', 'invalid --security-opt 2: "no-new-privileges=maybe"'],
      ['bogus=1', 'invalid --security-opt 2: "bogus=1"'],
      ['apparmor=myprofile', 'AppArmor is not supported'],
    ]) {
      const r = await d.docker(['create', '--security-opt', opt, img]);
      expect(r.code, opt).not.toBe(0);
      expect(r.stderr, opt).toContain(msg);
    }
  });

  it('the daemon option --no-new-privileges sets it for every container', async () => {
    const d2 = await Dockerd.start(['--no-new-privileges']);
    try {
      expect((await d2.docker(['pull', img])).code).toBe(0);
      const r = await d2.docker(['run', '--rm', '--user', '65534', img, '/suid/sectest', 'ids']);
      expect(r.stdout.trim()).toBe('uid=65534 euid=65534 nnp=1');
      // A container's own option overrides the daemon's, either way (as dockerd).
      const off = await d2.docker([
        'run',
        '--rm',
        '--user',
        '65534',
        '--security-opt',
        'no-new-privileges=false',
        img,
        '/suid/sectest',
        'ids',
      ]);
      expect(off.stdout.trim()).toBe('uid=65534 euid=0 nnp=0');
    } finally {
      await d2.cleanup();
    }
  }, 90_000);
});

/** `docker create` through the API (for fields the CLI does not send), then start and wait: the logs. */
async function apiRun(
  body: Record<string, unknown>,
): Promise<{ status: number; out: string; message: string }> {
  const c = await d.request('POST', '/v1.41/containers/create', JSON.stringify({ Image: img, ...body }), {
    'Content-Type': 'application/json',
  });
  if (c.status !== 201)
    return { status: c.status, out: '', message: (JSON.parse(c.body) as { message: string }).message };
  const id = (JSON.parse(c.body) as { Id: string }).Id;
  const s = await d.docker(['start', '-a', id], { timeoutMs: 60_000 });
  await d.docker(['rm', '-f', id]);
  return { status: c.status, out: s.stdout.trim(), message: s.stderr.trim() };
}

// What dockerd 20.10 gives a default container on this host (measured with Debian's dockerd).
const DOCKER_DEFAULT_CAPEFF = '00000000a80425fb';
const DOCKER_DEVICES_LIST = [
  'b *:* m',
  'c *:* m',
  'c 1:3 rwm',
  'c 1:5 rwm',
  'c 1:7 rwm',
  'c 1:8 rwm',
  'c 1:9 rwm',
  'c 5:0 rwm',
  'c 5:1 rwm',
  'c 5:2 rwm',
  'c 10:200 rwm',
  'c 136:* rwm',
];
const SYSTEM_PATHS =
  'awk \'$5 ~ /^\\/(proc\\/(keys|acpi|sys|bus|cpuinfo)|sys\\/firmware)$/ {split($6, o, ","); print $5, o[1]}\' /proc/self/mountinfo | sort';

describe("Docker's other defaults, as dockerd gives them", () => {
  it('capabilities: the default set, --cap-drop/--cap-add with and without CAP_, ALL, unknown names', async () => {
    expect((await sh([], statusField('CapEff'))).out).toBe(`CapEff:${DOCKER_DEFAULT_CAPEFF}`);
    expect((await sh(['--cap-drop', 'ALL'], statusField('CapEff'))).out).toBe('CapEff:0000000000000000');
    expect((await sh(['--cap-add', 'net_admin', '--cap-drop', 'CAP_CHOWN'], statusField('CapEff'))).out).toBe(
      'CapEff:00000000a80435fa',
    );
    expect((await sh(['--cap-drop', 'ALL', '--cap-add', 'CHOWN'], statusField('CapEff'))).out).toBe(
      'CapEff:0000000000000001',
    );
    // docker exec --privileged gets every capability too; a plain exec the container's.
    const box = (await d.docker(['run', '-d', img, 'sleep', '60'])).stdout.trim();
    const privCaps = (await sh(['--privileged'], statusField('CapEff'))).out;
    expect(
      (await d.docker(['exec', '--privileged', box, 'sh', '-c', statusField('CapEff')])).stdout.trim(),
    ).toBe(privCaps);
    expect((await d.docker(['exec', box, 'sh', '-c', statusField('CapEff')])).stdout.trim()).toBe(
      `CapEff:${DOCKER_DEFAULT_CAPEFF}`,
    );
    await d.docker(['rm', '-f', box]);
    const all = await sh(['--cap-add', 'ALL'], statusField('CapBnd'));
    expect(all.out).toBe(`CapBnd:${(await sh(['--privileged'], statusField('CapBnd'))).out.slice(7)}`);
    for (const [flag, msg] of [
      ['--cap-add', 'invalid CapAdd: unknown capability: "CAP_FOO"'],
      ['--cap-drop', 'invalid CapDrop: unknown capability: "CAP_FOO"'],
    ]) {
      const r = await d.docker(['create', flag, 'foo', img]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(msg);
    }
  });

  it('masked and read-only paths: the defaults, inspect shows them, MaskedPaths/ReadonlyPaths replace them', async () => {
    expect((await sh([], SYSTEM_PATHS)).out.split('\n')).toEqual([
      '/proc/acpi ro',
      '/proc/bus ro',
      '/proc/keys rw',
      '/proc/sys ro',
      '/sys/firmware ro',
    ]);
    // The CLI's systempaths=unconfined sends both lists empty.
    expect((await sh(['--security-opt', 'systempaths=unconfined'], SYSTEM_PATHS)).out).toBe('');
    const r = await apiRun({
      Cmd: ['sh', '-c', SYSTEM_PATHS],
      HostConfig: { MaskedPaths: ['/proc/cpuinfo'], ReadonlyPaths: ['/proc/bus'] },
    });
    expect(r.out.split('\n')).toEqual(['/proc/bus ro', '/proc/cpuinfo rw']);
    const c = await d.docker(['create', img]);
    const hc = JSON.parse(
      (await d.docker(['inspect', '--format', '{{json .HostConfig}}', c.stdout.trim()])).stdout,
    ) as {
      MaskedPaths: string[];
      ReadonlyPaths: string[];
    };
    expect(hc.MaskedPaths).toEqual([
      '/proc/asound',
      '/proc/acpi',
      '/proc/kcore',
      '/proc/keys',
      '/proc/latency_stats',
      '/proc/timer_list',
      '/proc/timer_stats',
      '/proc/sched_debug',
      '/proc/scsi',
      '/sys/firmware',
    ]);
    expect(hc.ReadonlyPaths).toEqual([
      '/proc/bus',
      '/proc/fs',
      '/proc/irq',
      '/proc/sys',
      '/proc/sysrq-trigger',
    ]);
    await d.docker(['rm', c.stdout.trim()]);
  });

  it('devices: the allowed list, --device with a path and permissions, DeviceCgroupRules', async () => {
    expect((await sh([], 'cat /sys/fs/cgroup/devices/devices.list')).out.split('\n')).toEqual(
      DOCKER_DEVICES_LIST,
    );
    const one = await sh(
      ['--device', '/dev/loop-control'],
      "ls -l /dev/loop-control | awk '{print $1, $5, $6}'; grep 10:237 /sys/fs/cgroup/devices/devices.list",
    );
    expect(one.out.split('\n')).toEqual(['crw------- 10, 237', 'c 10:237 rwm']);
    const ro = await sh(
      ['--device', '/dev/loop-control:/dev/lc:r'],
      "ls -l /dev/lc | awk '{print $1, $5, $6}'; grep 10:237 /sys/fs/cgroup/devices/devices.list",
    );
    expect(ro.out.split('\n')).toEqual(['crw------- 10, 237', 'c 10:237 r']);
    const rule = await sh(
      ['--device-cgroup-rule', 'c 7:128 rwm'],
      'grep 7:128 /sys/fs/cgroup/devices/devices.list',
    );
    expect(rule.out).toBe('c 7:128 rwm');
    const missing = await d.docker(['create', '--device', '/dev/nope', img]);
    expect(missing.stderr).toContain(
      'error gathering device information while adding custom device "/dev/nope": no such file or directory',
    );
    const bad = await apiRun({ HostConfig: { DeviceCgroupRules: ['x 7:128 rwm'] } });
    expect([bad.status, bad.message]).toEqual([400, "invalid device cgroup format 'x 7:128 rwm'"]);
  });

  it('--read-only, --pids-limit, --ulimit, --oom-score-adj', async () => {
    const r = await sh(
      ['--read-only', '--pids-limit', '10', '--ulimit', 'nofile=100:200', '--oom-score-adj', '500'],
      'touch /x; cat /sys/fs/cgroup/pids/pids.max; ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj',
    );
    expect(r.err).toContain('touch: /x: Read-only file system');
    expect(r.out.split('\n')).toEqual(['10', '100', '200', '500']);
    // Without --ulimit, as under dockerd, the limits are the daemon's (here: this test's), not nofile 1024.
    const mine = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))!;
    expect((await sh([], 'ulimit -n; ulimit -Hn')).out.split('\n')).toEqual([mine[1], mine[2]]);
  });

  it('sysctls: Docker defaults let a non-root process bind port 80 and ping; namespaced ones only', async () => {
    const r = await sh(
      ['--user', '65534'],
      'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range; /usr/local/bin/sectest bind 80; /usr/local/bin/sectest ping 127.0.0.1',
    );
    expect(r.out.split('\n')).toEqual(['0', '0\t2147483647', 'bound', 'pong']);
    const set = await sh(
      ['--sysctl', 'kernel.shmmax=100000', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=1024'],
      'cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_unprivileged_port_start',
    );
    expect(set.out.split('\n')).toEqual(['100000', '1024']);
    const refused = await sh(
      ['--user', '65534', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=1024'],
      '/usr/local/bin/sectest bind 80',
    );
    expect(refused.out).toBe('bind: EACCES');
    for (const [body, msg] of [
      [{ Sysctls: { 'vm.swappiness': '1' } }, "sysctl 'vm.swappiness' is not allowed: it is not namespaced"],
      [
        { Sysctls: { 'kernel.hostname': 'x' } },
        "sysctl 'kernel.hostname' is not allowed: it is not namespaced",
      ],
      [
        { NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } },
        "sysctl 'net.ipv4.ip_forward' is not allowed in host network namespace",
      ],
    ] as const) {
      const a = await apiRun({ HostConfig: body });
      expect([a.status, a.message]).toEqual([400, msg]);
    }
  });
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
    const r = await sh(
      [
        '--memory',
        '64m',
        '--memory-swappiness',
        '7',
        '--oom-kill-disable',
        '--device-read-bps',
        '/dev/loop0:1mb',
      ],
      'cat /sys/fs/cgroup/memory/memory.swappiness; grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control; cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device',
    );
    expect(r.out.split('\n')).toEqual(['7', 'oom_kill_disable 1', '7:0 1048576']);
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
