// The Docker backend's pure pieces: the rules clients depend on, without daemons.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeFilter, parseDetachKeys } from './containers/attach.js';
import { mergeEnv } from './containers/create.js';
import { startError } from './containers/start.js';
import { parseSignal } from './containers/stop.js';
import { humanDuration } from './containers/views.js';
import { resolvConf } from './etc-files.js';
import { validName } from './ids.js';
import { parseRegistryAuth, registryFor } from './images/registry-auth.js';
import { resolveMounts } from './mounts.js';
import { VolumeStore } from './volumes.js';

describe('container names', () => {
  it('accepts Docker names and refuses the rest with its text', () => {
    expect(validName('web')).toBe('/web');
    expect(validName('/a_b.c-1')).toBe('/a_b.c-1');
    expect(() => validName('bad name')).toThrow(/Invalid container name \(bad name\)/);
    expect(() => validName('-x')).toThrow(/only \[a-zA-Z0-9\]/);
  });
});

describe('env merge', () => {
  it('lets the body replace image entries and always has a PATH', () => {
    expect(mergeEnv(['A=1', 'B=2'], ['B=3'])).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'A=1',
      'B=3',
    ]);
    expect(mergeEnv(['PATH=/x'], null)).toEqual(['PATH=/x']);
  });
});

describe('status texts', () => {
  it('follow go-units HumanDuration', () => {
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(1000)).toBe('1 second');
    expect(humanDuration(59_000)).toBe('59 seconds');
    expect(humanDuration(60_000)).toBe('About a minute');
    expect(humanDuration(5 * 60_000)).toBe('5 minutes');
    expect(humanDuration(60 * 60_000)).toBe('About an hour');
    expect(humanDuration(3 * 3_600_000)).toBe('3 hours');
    expect(humanDuration(3 * 86_400_000)).toBe('3 days');
  });
});

describe('start errors', () => {
  it('keep the words the CLI maps to exit codes 127 and 126', () => {
    expect(startError('exec: "/x": stat /x: no such file or directory').exitCode).toBe(127);
    expect(startError('exec: "x": executable file not found in $PATH').exitCode).toBe(127);
    expect(startError('exec: "/etc": permission denied').exitCode).toBe(126);
    expect(startError('something else').exitCode).toBe(128);
  });
});

describe('signals', () => {
  it('parse names with or without SIG, and numbers', () => {
    expect(parseSignal('SIGTERM', 9)).toBe(15);
    expect(parseSignal('hup', 9)).toBe(1);
    expect(parseSignal('10', 9)).toBe(10);
    expect(parseSignal(undefined, 9)).toBe(9);
    expect(() => parseSignal('NOPE', 9)).toThrow(/Invalid signal/);
    expect(() => parseSignal('99', 9)).toThrow(/Invalid signal/);
  });
});

describe('detach keys', () => {
  it('parse ctrl- sequences and hold back a partial match', () => {
    expect(parseDetachKeys('ctrl-p,ctrl-q')).toEqual([16, 17]);
    expect(parseDetachKeys('a,ctrl-@')).toEqual([97, 0]);
    expect(() => parseDetachKeys('ctrl-pp')).toThrow(/Invalid detach keys/);
    let detached = 0;
    const f = escapeFilter([16, 17], () => detached++);
    expect([...f(Buffer.from([1, 16]))]).toEqual([1]);
    expect([...f(Buffer.from([2]))]).toEqual([16, 2]);
    expect([...f(Buffer.from([16, 17, 3]))]).toEqual([]);
    expect(detached).toBe(1);
  });
});

describe('resolv.conf', () => {
  it('drops loopback resolvers a container cannot reach, and keeps search and options', () => {
    const host = 'nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch example.org\noptions ndots:2\n';
    expect(resolvConf(host, { hostNet: false })).toBe(
      'search example.org\nnameserver 10.0.0.2\noptions ndots:2\n',
    );
    expect(resolvConf('nameserver 127.0.0.1\n', { hostNet: false })).toContain('nameserver 8.8.8.8');
    expect(resolvConf(host, { hostNet: true })).toBe(host);
    expect(resolvConf(host, { hostNet: false, dns: ['1.1.1.1'] })).toContain('nameserver 1.1.1.1\n');
  });
});

describe('mounts', () => {
  const volumes = () => new VolumeStore(mkdtempSync(path.join(os.tmpdir(), 'vols-')), () => []);
  it('turns -v, --mount and --tmpfs into mount points, creating named and anonymous volumes', () => {
    const v = volumes();
    const host = mkdtempSync(path.join(os.tmpdir(), 'bind-'));
    const m = resolveMounts({
      hostConfig: {
        Binds: [`${host}:/h:ro`, 'data:/data'],
        Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024 } }],
        Tmpfs: { '/run': 'size=1m' },
      },
      volumePaths: ['/anon', '/data'],
      volumes: v,
    });
    const by = Object.fromEntries(m.map((x) => [x.Destination, x]));
    expect(by['/h']).toMatchObject({ Type: 'bind', Source: host, RW: false });
    expect(by['/data']).toMatchObject({ Type: 'volume', Name: 'data', RW: true });
    expect(by['/t'].tmpfsOptions).toContain('size=1024');
    expect(by['/run'].tmpfsOptions).toContain('size=1m');
    expect(by['/anon']).toMatchObject({ Type: 'volume', anonymous: true });
    expect(v.list().map((x) => x.Name)).toContain('data');
  });

  it('refuses what Docker refuses', () => {
    const v = volumes();
    const bad = (Binds: string[]) => () =>
      resolveMounts({ hostConfig: { Binds }, volumePaths: [], volumes: v });
    expect(bad(['/x'])).toThrow(/invalid volume specification/);
    expect(bad(['vol:relative'])).toThrow(/must be absolute/);
    expect(bad(['vol:/'])).toThrow(/destination can't be '\/'/);
    expect(bad(['vol:/a:bogus'])).toThrow(/invalid mode/);
    expect(bad(['va:/same', 'vb:/same'])).toThrow(/Duplicate mount point/);
    expect(() =>
      resolveMounts({
        hostConfig: { Mounts: [{ Type: 'bind', Source: '/nonexistent-xyz', Target: '/x' }] },
        volumePaths: [],
        volumes: v,
      }),
    ).toThrow(/bind source path does not exist/);
    expect(() => v.create('bad name')).toThrow(/includes invalid characters/);
  });
});

describe('X-Registry-Auth', () => {
  const header = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  it('reads the CLI header, and {} as anonymous', () => {
    expect(parseRegistryAuth(header({}))).toBeUndefined();
    expect(parseRegistryAuth('not base64 json')).toBeUndefined();
    expect(
      parseRegistryAuth(
        header({ username: 'u', password: 'p', serveraddress: 'https://index.docker.io/v1/' }),
      ),
    ).toEqual({
      credentials: { username: 'u', password: 'p' },
      server: 'docker.io',
    });
  });
  it('offers the credentials only to the registry they name', async () => {
    const reg = registryFor(header({ username: 'u', password: 'p', serveraddress: '127.0.0.1:5000' }));
    const creds = reg.transport.opts.credentials!;
    expect(await creds('127.0.0.1:5000')).toEqual({ username: 'u', password: 'p' });
    expect(await creds('evil.example:443')).toBeUndefined();
  });
});
