// Docker's security defaults, checked from inside containers with the real docker CLI: the default
// seccomp profile (and unconfined / a profile file), no_new_privs only when asked (per container or
// daemon-wide), capabilities, masked and read-only paths, devices, --read-only, ulimits, OOM score and
// sysctls, each compared with what dockerd 20.10 gives the same `docker run` (measured on this host).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dockerd } from './dockerd-harness.js';
import { type SecurityFixture, securityFixture, statusField } from './dockerd-security-fixture.js';

let fx: SecurityFixture;
let d: Dockerd;
let img: string;
let tmp: string;
let sh: SecurityFixture['sh'];
let apiRun: SecurityFixture['apiRun'];

beforeAll(async () => {
  fx = await securityFixture();
  ({ d, img, tmp, sh, apiRun } = fx);
}, 90_000);

afterAll(async () => {
  await fx?.stop();
});

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

  it("the daemon's --seccomp-profile replaces the default; a container may still ask for unconfined", async () => {
    const file = path.join(tmp, 'daemon-profile.json');
    writeFileSync(
      file,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
      }),
    );
    const d2 = await fx.otherDaemon(['--seccomp-profile', file]);
    try {
      const info = await d2.docker(['info', '--format', '{{json .SecurityOptions}}']);
      expect((JSON.parse(info.stdout) as string[])[0]).toBe(`name=seccomp,profile=${file}`);
      const r = await d2.docker([
        'run',
        '--rm',
        img,
        'sh',
        '-c',
        'mkdir /x; unshare -r true && echo unshared',
      ]);
      expect(r.stderr).toContain("mkdir: can't create directory '/x': Operation not permitted");
      expect(r.stdout.trim()).toBe('unshared');
      const u = await d2.docker(['run', '--rm', '--security-opt', 'seccomp=unconfined', img, 'mkdir', '/x']);
      expect(u.code, u.stderr).toBe(0);
    } finally {
      await d2.cleanup();
    }
  }, 90_000);
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
    const d2 = await fx.otherDaemon(['--no-new-privileges']);
    try {
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
    // /dev/kmsg (c 1:11): on every Linux host, and not among the devices a container gets by default.
    const one = await sh(
      ['--device', '/dev/kmsg'],
      "ls -l /dev/kmsg | awk '{print $1, $5, $6}'; grep 1:11 /sys/fs/cgroup/devices/devices.list",
    );
    expect(one.out.split('\n')).toEqual(['crw-r--r-- 1, 11', 'c 1:11 rwm']);
    const ro = await sh(
      ['--device', '/dev/kmsg:/dev/k:r'],
      "ls -l /dev/k | awk '{print $1, $5, $6}'; grep 1:11 /sys/fs/cgroup/devices/devices.list",
    );
    expect(ro.out.split('\n')).toEqual(['crw-r--r-- 1, 11', 'c 1:11 r']);
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
