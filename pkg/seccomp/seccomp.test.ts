import { describe, expect, it } from 'vitest';
import { DEFAULT_UNIX_CAPS } from '../oci/defaults.js';
import {
  SeccompProfileError,
  defaultSeccompProfile,
  dockerDefaultProfile,
  parseProfile,
  resolveProfile,
  type LinuxSeccomp,
} from './index.js';

const DOCKER_CAPS = DEFAULT_UNIX_CAPS;

/** The rules naming `name`. */
const rulesFor = (p: LinuxSeccomp, name: string) => (p.syscalls ?? []).filter((r) => r.names.includes(name));
const unconditionallyAllowed = (p: LinuxSeccomp, name: string) =>
  rulesFor(p, name).some((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args);

describe('Docker default seccomp profile', () => {
  const amd64 = defaultSeccompProfile({ arch: 'x64', capabilities: DOCKER_CAPS, kernel: '6.1.0-13-amd64' });

  it('denies with EPERM by default and covers the native and compat architectures', () => {
    expect(amd64.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(amd64.defaultErrnoRet).toBe(1);
    expect(amd64.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(defaultSeccompProfile({ arch: 'amd64', capabilities: [], kernel: '6.1' }).architectures).toEqual(
      amd64.architectures,
    );
  });

  it('allows the everyday syscalls and blocks namespace, keyring and module calls without capabilities', () => {
    for (const ok of [
      'read',
      'openat',
      'execve',
      'clone',
      'chroot',
      'arch_prctl',
      'ptrace',
      'io_uring_setup',
    ])
      expect(rulesFor(amd64, ok).length, ok).toBeGreaterThan(0);
    for (const no of [
      'unshare',
      'mount',
      'setns',
      'keyctl',
      'add_key',
      'init_module',
      'reboot',
      'bpf',
      'open_by_handle_at',
    ])
      expect(rulesFor(amd64, no), no).toEqual([]);
    expect(unconditionallyAllowed(amd64, 'clone')).toBe(false);
    expect(rulesFor(amd64, 'clone')).toEqual([
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }],
      },
    ]);
    expect(rulesFor(amd64, 'clone3')).toEqual([
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ]);
    expect(rulesFor(amd64, 'socket')).toEqual([
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
    ]);
    expect(rulesFor(amd64, 'personality').map((r) => r.args?.[0].value)).toEqual([
      0, 8, 0x20000, 0x20008, 0xffffffff,
    ]);
  });

  it('opens the calls of each capability the container holds', () => {
    const admin = defaultSeccompProfile({
      arch: 'x64',
      capabilities: [...DOCKER_CAPS, 'CAP_SYS_ADMIN', 'CAP_SYS_TIME'],
      kernel: '6.1',
    });
    for (const ok of ['unshare', 'mount', 'setns', 'clone', 'clone3', 'settimeofday'])
      expect(unconditionallyAllowed(admin, ok), ok).toBe(true);
    expect(rulesFor(admin, 'clone3').every((r) => r.action === 'SCMP_ACT_ALLOW')).toBe(true);
    expect(rulesFor(admin, 'clone').every((r) => !r.args)).toBe(true);
    const noChroot = defaultSeccompProfile({ arch: 'x64', capabilities: ['CAP_CHOWN'], kernel: '6.1' });
    expect(rulesFor(noChroot, 'chroot')).toEqual([]);
  });

  it('allows ptrace without CAP_SYS_PTRACE only from Linux 4.8', () => {
    const old = defaultSeccompProfile({
      arch: 'x64',
      capabilities: DOCKER_CAPS,
      kernel: '4.4.0-210-generic',
    });
    expect(rulesFor(old, 'ptrace')).toEqual([]);
    expect(unconditionallyAllowed(amd64, 'ptrace')).toBe(true);
  });

  it('follows the architecture', () => {
    const arm64 = defaultSeccompProfile({ arch: 'arm64', capabilities: DOCKER_CAPS, kernel: '6.1' });
    expect(arm64.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(rulesFor(arm64, 'arm_fadvise64_64').length).toBe(1);
    expect(rulesFor(arm64, 'arch_prctl')).toEqual([]);
    expect(rulesFor(amd64, 'arm_fadvise64_64')).toEqual([]);
    const s390x = defaultSeccompProfile({ arch: 's390x', capabilities: DOCKER_CAPS, kernel: '6.1' });
    expect(rulesFor(s390x, 'clone').map((r) => r.args?.[0].index)).toEqual([1]);
    const ppc = defaultSeccompProfile({ arch: 'ppc64le', capabilities: DOCKER_CAPS, kernel: '6.1' });
    expect(ppc.architectures).toBeUndefined();
  });

  it('lists no syscall twice in the base allow list', () => {
    const base = dockerDefaultProfile().syscalls![0].names!;
    expect(new Set(base).size).toBe(base.length);
    expect(base.length).toBeGreaterThan(300);
  });
});

describe('Docker-format profiles', () => {
  it('parses and resolves a custom profile with a fixed architecture list', () => {
    const p = parseProfile(
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [
          { name: 'mkdir', action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
          { names: ['chmod'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } },
        ],
      }),
    );
    expect(resolveProfile(p, { arch: 'x64', capabilities: [], kernel: '6.1' })).toEqual({
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    });
  });

  it.each([
    ['not json', /Decoding seccomp profile failed: /],
    ['[]', /must be a JSON object/],
    ['{"defaultAction":"ALLOW"}', /invalid defaultAction "ALLOW"/],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}',
      /either 'name' or 'names'/,
    ],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":[]}]}',
      /either 'architectures' or 'archMap'/,
    ],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"EQ"}]}]}',
      /invalid op "EQ"/,
    ],
  ])('refuses %s', (text, msg) => {
    expect(() => parseProfile(text)).toThrow(SeccompProfileError);
    expect(() => parseProfile(text)).toThrow(msg);
  });

  it('round-trips the default profile through its JSON form', () => {
    const text = JSON.stringify(dockerDefaultProfile());
    const target = { arch: 'x64', capabilities: DOCKER_CAPS, kernel: '6.1' };
    expect(resolveProfile(parseProfile(text), target)).toEqual(defaultSeccompProfile(target));
  });
});
