// Docker's security defaults, checked from inside containers with the real docker CLI: the default
// seccomp profile (and unconfined / a profile file), no_new_privs only when asked (per container or
// daemon-wide), capabilities, masked and read-only paths, devices, and the resource and sysctl options,
// each compared with what dockerd 20.10 gives the same `docker run`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dockerd } from './dockerd-harness.js';
import { REPO } from './harness.js';
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
    expect(JSON.parse(r.stdout)).toEqual(['name=seccomp,profile=default']);
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
      const info = await d2.docker(['info', '--format', '{{json .SecurityOptions}}']);
      expect(JSON.parse(info.stdout)).toEqual(['name=seccomp,profile=default', 'name=no-new-privileges']);
    } finally {
      await d2.cleanup();
    }
  }, 90_000);
});
