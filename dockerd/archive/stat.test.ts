import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { couldNotFindMessage } from './errors.js';
import { decodeStatHeader, encodeStatHeader, goFileMode, GoMode, goTime, statPath } from './stat.js';
import { type Sandbox, sandbox } from '../../pkg/archive/test-helpers.js';

describe('stat header encoding', () => {
  it('matches the header Docker 20.10 sent for /tmp (captured)', () => {
    const header = encodeStatHeader({
      name: 'tmp',
      size: 4096,
      mode: 2147484141,
      mtime: '2026-11-23T16:31:40Z',
      linkTarget: '',
    });
    expect(header).toBe(
      'eyJuYW1lIjoidG1wIiwic2l6ZSI6NDA5NiwibW9kZSI6MjE0NzQ4NDE0MSwibXRpbWUiOiIyMDI2LTExLTIzVDE2OjMxOjQwWiIsImxpbmtUYXJnZXQiOiIifQ==',
    );
  });

  it('keeps the key order and escapes like Go', () => {
    const json = Buffer.from(
      encodeStatHeader({ linkTarget: '/a<b>', mtime: 'm', mode: 1, size: 2, name: 'x&y' }),
      'base64',
    ).toString();
    expect(json).toBe('{"name":"x\\u0026y","size":2,"mode":1,"mtime":"m","linkTarget":"/a\\u003cb\\u003e"}');
    expect(decodeStatHeader(Buffer.from(json).toString('base64')).linkTarget).toBe('/a<b>');
  });

  it('maps st_mode to os.FileMode bits', () => {
    expect(goFileMode(0o040755)).toBe(GoMode.dir + 0o755);
    expect(goFileMode(0o040755)).toBe(2147484141);
    expect(goFileMode(0o100644)).toBe(420);
    expect(goFileMode(0o120777)).toBe(GoMode.symlink + 0o777);
    expect(goFileMode(0o010600)).toBe(GoMode.namedPipe + 0o600);
    expect(goFileMode(0o140755)).toBe(GoMode.socket + 0o755);
    expect(goFileMode(0o020666)).toBe(GoMode.device + GoMode.charDevice + 0o666);
    expect(goFileMode(0o060660)).toBe(GoMode.device + 0o660);
    expect(goFileMode(0o104755)).toBe(GoMode.setuid + 0o755);
    expect(goFileMode(0o102755)).toBe(GoMode.setgid + 0o755);
    expect(goFileMode(0o041777)).toBe(GoMode.dir + GoMode.sticky + 0o777);
  });

  it('formats times as Go marshals time.Time in UTC', () => {
    expect(goTime(0n)).toBe('1970-01-01T00:00:00Z');
    expect(goTime(1_795_451_656_123_456_789n)).toBe('2026-11-23T16:34:16.123456789Z');
    expect(goTime(1_795_451_656_120_000_000n)).toBe('2026-11-23T16:34:16.12Z');
    expect(goTime(1_795_451_656_000_000_001n)).toBe('2026-11-23T16:34:16.000000001Z');
    expect(goTime(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
  });
});

describe('statPath', () => {
  let sb: Sandbox;
  let root: string;
  const r = (...p: string[]) => path.join(root, ...p);

  beforeEach(async () => {
    sb = await sandbox();
    root = sb.root;
    mkdirSync(r('tmp/sub'), { recursive: true });
    chmodSync(r('tmp'), 0o755);
    writeFileSync(r('tmp/cpfile.txt'), 'cpdata\n');
    chmodSync(r('tmp/cpfile.txt'), 0o644);
    utimesSync(r('tmp/cpfile.txt'), 1795451655, 1795451655);
    symlinkSync('/tmp/sub', r('link'));
    symlinkSync('../tmp/cpfile.txt', r('tmp/filelink'));
    symlinkSync('/nowhere/x', r('dangling'));
    symlinkSync(sb.sentinel, r('host'));
  });
  afterEach(() => sb.cleanup());

  it('stats a directory', async () => {
    const st = await statPath(root, '/tmp/');
    expect(st).toMatchObject({ name: 'tmp', mode: 2147484141, linkTarget: '' });
    expect(st.size).toBeGreaterThan(0);
    expect((await statPath(root, '/tmp/.')).name).toBe('.');
    expect((await statPath(root, '/')).name).toBe('/');
    expect((await statPath(root, '/')).mode & GoMode.dir).toBeTruthy();
  });

  it('stats a file', async () => {
    expect(await statPath(root, '/tmp/cpfile.txt')).toEqual({
      name: 'cpfile.txt',
      size: 7,
      mode: 420,
      mtime: '2026-11-23T16:34:15Z',
      linkTarget: '',
    });
  });

  it('stats a symlink itself, with its resolved target', async () => {
    const st = await statPath(root, '/link');
    expect(st.mode).toBe(GoMode.symlink + 0o777);
    expect(st.name).toBe('link');
    expect(st.size).toBe('/tmp/sub'.length);
    expect(st.linkTarget).toBe('/tmp/sub');
    expect((await statPath(root, '/tmp/filelink')).linkTarget).toBe('/tmp/cpfile.txt');
    expect((await statPath(root, '/dangling')).linkTarget).toBe('/nowhere/x');
    // A target naming a host path is a path inside the container.
    expect((await statPath(root, '/host')).linkTarget).toBe(sb.sentinel);
  });

  it('follows a final symlink when the path ends in / or /.', async () => {
    const st = await statPath(root, '/link/');
    expect(st.mode & GoMode.dir).toBeTruthy();
    expect(st.name).toBe('link');
    expect(st.linkTarget).toBe('');
    expect((await statPath(root, '/link/.')).name).toBe('.');
  });

  it('reports missing paths as ENOENT, non-directories as ENOTDIR', async () => {
    await expect(statPath(root, '/nope')).rejects.toMatchObject({ code: 'ENOENT', kind: 'NotFound' });
    await expect(statPath(root, '/nope/deeper')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(statPath(root, '/dangling/')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(statPath(root, '/tmp/cpfile.txt/')).rejects.toMatchObject({
      code: 'ENOTDIR',
      message: expect.stringContaining('not a directory'),
    });
    await expect(statPath(root, '/tmp/cpfile.txt/x')).rejects.toMatchObject({ code: 'ENOTDIR' });
    // Through a symlink to a host directory: never the host's.
    await expect(statPath(root, '/host/')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(couldNotFindMessage('/nope', 'ex1')).toBe('Could not find the file /nope in container ex1');
  });

  it('reports special files', async () => {
    execFileSync('mkfifo', [r('fifo')]);
    chmodSync(r('fifo'), 0o600);
    expect((await statPath(root, '/fifo')).mode).toBe(GoMode.namedPipe + 0o600);
    execFileSync('mknod', ['-m', '0620', r('null'), 'c', '1', '3']);
    expect((await statPath(root, '/null')).mode).toBe(GoMode.device + GoMode.charDevice + 0o620);
    chmodSync(r('tmp'), 0o1777);
    expect((await statPath(root, '/tmp')).mode).toBe(GoMode.dir + GoMode.sticky + 0o777);
  });
});
