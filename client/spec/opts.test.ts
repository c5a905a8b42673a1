import { describe, expect, it } from 'vitest';
import { DEFAULT_UNIX_CAPS, KNOWN_CAPS, capsFromBitmap, effectiveCapsFromStatus } from './caps.js';
import { DEFAULT_UNIX_ENV, defaultSpec } from './default.js';
import {
  applyOpts,
  replaceOrAppendEnv,
  withAddedCapabilities,
  withAdditionalGids,
  withCpus,
  withCwd,
  withDefaultPathEnv,
  withDroppedCapabilities,
  withEnv,
  withHostNamespace,
  withHostname,
  withImageConfig,
  withLinuxNamespace,
  withMemoryLimit,
  withMounts,
  withoutMounts,
  withPrivileged,
  withProcessArgs,
  withTty,
  withUser,
  withUserNamespace,
} from './index.js';
import { parseGroup, parsePasswd, type UserDb } from './users.js';

const users: UserDb = {
  passwd: parsePasswd(
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nweb:x:33:33::/var/www:/bin/false\n',
  ),
  group: parseGroup('root:x:0:\nwheel:x:10:root,app\naudio:x:29:app\napp:x:1000:app\nwww:x:33:\n'),
};
const base = () => defaultSpec('default', 'c1');
const user = (...opts: Parameters<typeof applyOpts>[1][]) => applyOpts(base(), ...opts).process?.user;

describe('defaultSpec', () => {
  it('is containerd 1.6 default Unix spec plus the default devices', () => {
    const s = base();
    expect(s.ociVersion).toBe('1.0.2-dev');
    expect(s.root).toEqual({ path: 'rootfs' });
    expect(s.process).toMatchObject({ cwd: '/', user: { uid: 0, gid: 0 }, noNewPrivileges: true });
    expect(s.process?.env).toBeUndefined();
    expect(s.process?.capabilities?.bounding).toHaveLength(14);
    expect(s.process?.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
    expect(s.mounts?.map((m) => m.destination)).toEqual([
      '/proc',
      '/dev',
      '/dev/pts',
      '/dev/shm',
      '/dev/mqueue',
      '/sys',
      '/run',
    ]);
    expect(s.linux?.cgroupsPath).toBe('/default/c1');
    expect(s.linux?.namespaces?.map((n) => n.type)).toEqual(['pid', 'ipc', 'uts', 'mount', 'network']);
    expect(s.linux?.maskedPaths).toHaveLength(10);
    expect(s.linux?.readonlyPaths).toHaveLength(5);
    expect(s.linux?.resources?.devices?.[0]).toEqual({ allow: false, access: 'rwm' });
    expect(s.linux?.resources?.devices).toHaveLength(10);
    expect(s.linux?.resources?.devices?.[8]).toEqual({ allow: true, type: 'c', major: 136, access: 'rwm' });
  });

  it('gives fresh objects every time', () => {
    const a = base();
    a.mounts?.[0].options?.push('x');
    a.process?.capabilities?.bounding?.push('CAP_SYS_ADMIN');
    expect(base()).toStrictEqual(defaultSpec('default', 'c1'));
    expect(base().mounts?.[0].options).toEqual(['nosuid', 'noexec', 'nodev']);
  });
});

describe('options', () => {
  it('never change their input', () => {
    const s = base();
    const before = structuredClone(s);
    applyOpts(
      s,
      withEnv(['A=1']),
      withProcessArgs('sh'),
      withTty(),
      withMemoryLimit(1 << 20),
      withMounts([{ destination: '/x', type: 'bind', source: '/y' }]),
      withHostNamespace('network'),
      withPrivileged(KNOWN_CAPS),
      withUser('app', users),
      withImageConfig({ Cmd: ['true'] }, users),
    );
    expect(s).toStrictEqual(before);
  });

  it('replaceOrAppendEnv replaces by key, appends, and unsets bare keys', () => {
    expect(replaceOrAppendEnv(['PATH=/bin', 'A=1', 'B=2'], ['A=3', 'C=4', 'B', 'D'])).toEqual([
      'PATH=/bin',
      'A=3',
      'C=4',
    ]);
    expect(replaceOrAppendEnv(['A=1', 'A=2'], ['A=3'])).toEqual(['A=1', 'A=3']);
    expect(replaceOrAppendEnv([], ['X=1', 'X=2'])).toEqual(['X=1', 'X=2']);
  });

  it('withEnv, withDefaultPathEnv, withTty', () => {
    const s = applyOpts(base(), withEnv([]), withCwd('/w'));
    expect(s.process?.env).toBeUndefined();
    const t = applyOpts(base(), withEnv(['TERM=vt100']), withDefaultPathEnv, withTty(true));
    expect(t.process?.env).toEqual(['TERM=vt100', DEFAULT_UNIX_ENV[0], 'TERM=xterm']);
    expect(t.process?.terminal).toBe(true);
    expect(applyOpts(t, withTty(false)).process?.terminal).toBeUndefined();
    expect(applyOpts(base(), withEnv(['A=1']), withEnv(['A'])).process?.env).toBeUndefined();
  });

  it('withProcessArgs with no args removes them', () => {
    expect(applyOpts(base(), withProcessArgs('a'), withProcessArgs()).process?.args).toBeUndefined();
  });

  it('resources', () => {
    const s = applyOpts(base(), withMemoryLimit(512 << 20), withCpus(0.5));
    expect(s.linux?.resources?.memory).toEqual({ limit: 512 << 20 });
    expect(s.linux?.resources?.cpu).toEqual({ quota: 50000, period: 100000 });
    expect(applyOpts(base(), withCpus(1.00001)).linux?.resources?.cpu?.quota).toBe(100001);
  });

  it('namespaces and mounts', () => {
    const s = applyOpts(
      base(),
      withHostNamespace('network'),
      withHostNamespace('network'),
      withLinuxNamespace({ type: 'pid', path: '/proc/1/ns/pid' }),
      withLinuxNamespace({ type: 'cgroup' }),
      withUserNamespace([{ containerID: 0, hostID: 100000, size: 65536 }], []),
      withoutMounts('/run', '/dev/shm'),
      withHostname('box'),
    );
    expect(s.linux?.namespaces).toEqual([
      { type: 'pid', path: '/proc/1/ns/pid' },
      { type: 'ipc' },
      { type: 'uts' },
      { type: 'mount' },
      { type: 'cgroup' },
      { type: 'user' },
    ]);
    expect(s.linux?.uidMappings).toEqual([{ containerID: 0, hostID: 100000, size: 65536 }]);
    expect(s.linux?.gidMappings).toBeUndefined();
    expect(s.mounts?.map((m) => m.destination)).not.toContain('/run');
    expect(s.mounts).toHaveLength(5);
    expect(s.hostname).toBe('box');
  });

  it('capabilities', () => {
    const s = applyOpts(base(), withAddedCapabilities(['CAP_SYS_ADMIN', 'CAP_KILL']));
    expect(s.process?.capabilities?.bounding).toEqual([...DEFAULT_UNIX_CAPS, 'CAP_SYS_ADMIN']);
    const d = applyOpts(s, withDroppedCapabilities([...DEFAULT_UNIX_CAPS, 'CAP_SYS_ADMIN']));
    expect(d.process?.capabilities).toEqual({});
  });

  it('withPrivileged', () => {
    const s = applyOpts(base(), withPrivileged(KNOWN_CAPS));
    expect(s.process?.capabilities?.effective).toEqual(KNOWN_CAPS);
    expect(s.linux?.maskedPaths).toBeUndefined();
    expect(s.linux?.readonlyPaths).toBeUndefined();
    expect(s.mounts?.find((m) => m.type === 'sysfs')?.options).toEqual(['nosuid', 'noexec', 'nodev', 'rw']);
  });
});

describe('users', () => {
  it('names, ids and pairs', () => {
    expect(user(withUser('app', users))).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000] });
    expect(user(withUser('33', users))).toEqual({ uid: 33, gid: 33, additionalGids: [33] });
    expect(user(withUser('4242', users))).toEqual({ uid: 4242, gid: 0, additionalGids: [0] });
    expect(user(withUser('4242', {}))).toEqual({ uid: 4242, gid: 0, additionalGids: [0] });
    expect(user(withUser('1:2', {}))).toEqual({ uid: 1, gid: 2, additionalGids: [2] });
    expect(user(withUser('app:audio', users))).toEqual({ uid: 1000, gid: 29, additionalGids: [29] });
    expect(user(withUser('app:5', users))).toEqual({ uid: 1000, gid: 5, additionalGids: [5] });
    expect(user(withUser('7:wheel', users))).toEqual({ uid: 7, gid: 10, additionalGids: [10] });
    expect(user(withUser(':9', {}))).toEqual({ uid: 0, gid: 9, additionalGids: [9] });
  });

  it('unknown names and bad strings throw', () => {
    expect(() => withUser('nobody', users)(base())).toThrow(/nobody/);
    expect(() => withUser('app', {})(base())).toThrow(/passwd/);
    expect(() => withUser('app:nogroup', users)(base())).toThrow(/nogroup/);
    expect(() => withUser('a:b:c', users)(base())).toThrow(/invalid USER/);
  });

  it('supplementary groups', () => {
    expect(user(withUser('app', users), withAdditionalGids('1000', users))).toEqual({
      uid: 1000,
      gid: 1000,
      additionalGids: [1000, 10, 29],
    });
    expect(user(withAdditionalGids('root', users))).toEqual({ uid: 0, gid: 0, additionalGids: [0, 10] });
    expect(user(withUser('4242', users), withAdditionalGids('4242', users))?.additionalGids).toEqual([0]);
    expect(user(withAdditionalGids('root', { passwd: users.passwd }))?.additionalGids).toEqual([0]);
  });
});

describe('withImageConfig', () => {
  it('entrypoint, cmd, env, cwd and user', () => {
    const s = applyOpts(
      base(),
      withEnv(['A=1']),
      withImageConfig(
        { User: 'app', Env: ['PATH=/bin', 'A=0'], Entrypoint: ['/init'], Cmd: ['run'], WorkingDir: '/srv' },
        users,
      ),
    );
    expect(s.process).toMatchObject({
      args: ['/init', 'run'],
      env: ['PATH=/bin', 'A=1'],
      cwd: '/srv',
      user: { uid: 1000, gid: 1000, additionalGids: [1000, 10, 29] },
    });
  });

  it('defaults, null fields and replacement args', () => {
    const s = applyOpts(base(), withImageConfig({ Env: null, Entrypoint: null, Cmd: ['sh'] }, users, ['id']));
    expect(s.process).toMatchObject({ args: ['id'], env: [...DEFAULT_UNIX_ENV], cwd: '/' });
    expect(s.process?.user).toEqual({ uid: 0, gid: 0, additionalGids: [0, 10] });
    expect(applyOpts(base(), withImageConfig({}, {})).process?.args).toBeUndefined();
  });

  it('needs a Linux section', () => {
    const noLinux = base();
    delete noLinux.linux;
    expect(() => withImageConfig({}, users)(noLinux)).toThrow(/Linux/);
  });
});

describe('caps', () => {
  it('reads bitmaps', () => {
    expect(capsFromBitmap(0x1n | (1n << 21n))).toEqual(['CAP_CHOWN', 'CAP_SYS_ADMIN']);
    expect(capsFromBitmap((1n << 63n) | 1n)).toEqual(['CAP_CHOWN']);
    expect(effectiveCapsFromStatus('Name:\tx\nCapEff:\t000001ffffffffff\n')).toEqual(KNOWN_CAPS);
  });
});
