import { describe, expect, it } from 'vitest';
import { parseSecurityOpt, securityInfo } from './security.js';
import { checkSysctls, parseDeviceCgroupRule } from './spec-security.js';
import { checkResources, resourcesOf } from './resources.js';

describe('--security-opt', () => {
  it('defaults: Docker seccomp profile, no no_new_privs', () => {
    expect(parseSecurityOpt(null)).toEqual({ noNewPrivileges: false, seccomp: { kind: 'default' } });
  });

  it('reads no-new-privileges in its three spellings, and lets a container override the daemon', () => {
    for (const o of ['no-new-privileges', 'no-new-privileges:true', 'no-new-privileges=true'])
      expect(parseSecurityOpt([o]).noNewPrivileges).toBe(true);
    expect(parseSecurityOpt([], { noNewPrivileges: true }).noNewPrivileges).toBe(true);
    expect(parseSecurityOpt(['no-new-privileges=false'], { noNewPrivileges: true }).noNewPrivileges).toBe(
      false,
    );
  });

  it('seccomp: unconfined, a profile text, the daemon default', () => {
    expect(parseSecurityOpt(['seccomp=unconfined']).seccomp).toEqual({ kind: 'unconfined' });
    expect(parseSecurityOpt(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']).seccomp).toEqual({
      kind: 'custom',
      profile: { defaultAction: 'SCMP_ACT_ALLOW' },
    });
    expect(
      parseSecurityOpt([], { seccomp: { name: 'unconfined', choice: { kind: 'unconfined' } } }).seccomp,
    ).toEqual({
      kind: 'unconfined',
    });
  });

  it.each([
    ['seccomp={', /Decoding seccomp profile failed/],
    ['no-new-privileges=maybe', /invalid --security-opt 2: "no-new-privileges=maybe"/],
    ['whatever', /invalid --security-opt 1: "whatever"/],
    ['apparmor=docker-default', /AppArmor is not supported/],
    ['label=user:u', /SELinux labels are not supported/],
  ])('refuses %s', (opt, msg) => {
    expect(() => parseSecurityOpt([opt])).toThrow(msg);
  });

  it('accepts what needs nothing done: apparmor=unconfined, label=disable, disable', () => {
    expect(
      parseSecurityOpt(['apparmor=unconfined', 'label=disable', 'label:disable', 'disable']).seccomp.kind,
    ).toBe('default');
  });

  it('info names the profile', () => {
    expect(securityInfo({}, false)).toEqual(['name=seccomp,profile=default']);
    expect(securityInfo({ seccomp: { name: '/p.json', choice: { kind: 'default' } } }, true)).toEqual([
      'name=seccomp,profile=/p.json',
      'name=cgroupns',
    ]);
  });
});

describe('devices and sysctls', () => {
  it('parses device cgroup rules', () => {
    expect(parseDeviceCgroupRule('c 7:128 rwm')).toEqual({
      allow: true,
      type: 'c',
      major: 7,
      minor: 128,
      access: 'rwm',
    });
    expect(parseDeviceCgroupRule('a *:* r')).toEqual({ allow: true, type: 'a', access: 'r' });
    expect(() => parseDeviceCgroupRule('c 7:128 x')).toThrow("invalid device cgroup format 'c 7:128 x'");
  });

  it('allows namespaced sysctls only, and net.* only in an own network namespace', () => {
    expect(() =>
      checkSysctls({
        Sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '20' },
      }),
    ).not.toThrow();
    expect(() => checkSysctls({ Sysctls: { 'kernel.panic': '1' } })).toThrow(
      "sysctl 'kernel.panic' is not allowed",
    );
    expect(() => checkSysctls({ NetworkMode: 'host', Sysctls: { 'net.core.somaxconn': '1' } })).toThrow(
      'not allowed in host network namespace',
    );
    expect(() => checkSysctls({ IpcMode: 'host', Sysctls: { 'kernel.shmmax': '1' } })).toThrow(
      'host IPC namespace',
    );
  });
});

describe('resources', () => {
  it('computes the cgroup resources of a HostConfig', () => {
    expect(
      resourcesOf(
        { Memory: 64 << 20, MemoryReservation: 32 << 20, NanoCpus: 5e8, CpusetCpus: '0-1', PidsLimit: 20 },
        undefined,
      ),
    ).toEqual({
      memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20 },
      cpu: { quota: 50_000, period: 100_000, cpus: '0-1' },
      pids: { limit: 20 },
    });
  });

  it('lifts a pids limit the spec had and the HostConfig no longer sets; keeps device rules', () => {
    const base = { pids: { limit: 20 }, devices: [{ allow: false, access: 'rwm' }] };
    expect(resourcesOf({ PidsLimit: 0 }, base)).toEqual({ pids: { limit: -1 }, devices: base.devices });
    expect(resourcesOf({ CpuQuota: -1 }, undefined)).toEqual({ cpu: { quota: -1, period: 100_000 } });
  });

  it.each([
    [{ Memory: 1000 }, 'Minimum memory limit allowed is 6MB'],
    [
      { Memory: 64 << 20, MemorySwap: 32 << 20 },
      'Minimum memoryswap limit should be larger than memory limit',
    ],
    [
      { NanoCpus: 1e9, CpuPeriod: 100_000 },
      'Conflicting options: Nano CPUs and CPU Period cannot both be set',
    ],
    [{ CpuPeriod: 10 }, 'CPU cfs period can not be less than 1ms'],
    [{ CpusetCpus: 'a-b' }, 'Invalid value a-b for cpuset cpus'],
    [{ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000'],
  ])('refuses %j', (hc, msg) => {
    expect(() => checkResources(hc)).toThrow(msg);
  });
});
