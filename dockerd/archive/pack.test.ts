import {
  chmodSync,
  chownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packPath } from './pack.js';
import { readTar, type Sandbox, sandbox, startSwapper } from '../../pkg/archive/test-helpers.js';

describe('packPath', () => {
  let sb: Sandbox;
  let root: string;
  const r = (...p: string[]) => path.join(root, ...p);

  const names = async (p: string) => {
    const m = new Map<string, string>();
    for (const e of await readTar(packPath(root, p))) m.set(e.header.name, e.content.toString());
    return m;
  };

  beforeEach(async () => {
    sb = await sandbox();
    root = sb.root;
    // moby's TestCopyFromContainer layout.
    writeFileSync(r('foo'), 'hello');
    mkdirSync(r('bar/quux'), { recursive: true });
    writeFileSync(r('bar/quux/baz'), 'world');
    symlinkSync('notexist', r('bar/notarget'));
    symlinkSync('quux/baz', r('bar/filesymlink'));
    symlinkSync('quux', r('bar/dirsymlink'));
    symlinkSync('/', r('bar/root'));
    writeFileSync(path.join(sb.sentinel, 'secret'), 'host data');
    symlinkSync(sb.sentinel, r('bar/hostdir'));
  });
  afterEach(() => sb.cleanup());

  // [path, expected name → content] as moby's integration test has them.
  const table: [string, Record<string, string>][] = [
    [
      '/',
      { '/': '', '/foo': 'hello', '/bar/quux/baz': 'world', '/bar/filesymlink': '', '/bar/notarget': '' },
    ],
    ['.', { './': '', './foo': 'hello', './bar/quux/baz': 'world', './bar/dirsymlink': '' }],
    ['/.', { './': '', './foo': 'hello', './bar/quux/baz': 'world' }],
    ['./', { './': '', './foo': 'hello' }],
    ['/./', { './': '', './foo': 'hello' }],
    ['/bar/root', { root: '' }],
    [
      '/bar/root/',
      { 'root/': '', 'root/foo': 'hello', 'root/bar/quux/baz': 'world', 'root/bar/notarget': '' },
    ],
    ['/bar/root/.', { './': '', './foo': 'hello', './bar/quux/baz': 'world' }],
    ['bar/quux', { 'quux/': '', 'quux/baz': 'world' }],
    ['bar/quux/', { 'quux/': '', 'quux/baz': 'world' }],
    ['bar/quux/.', { './': '', './baz': 'world' }],
    ['bar/quux/baz', { baz: 'world' }],
    ['bar/filesymlink', { filesymlink: '' }],
    ['bar/dirsymlink', { dirsymlink: '' }],
    ['bar/dirsymlink/', { 'dirsymlink/': '', 'dirsymlink/baz': 'world' }],
    ['bar/dirsymlink/.', { './': '', './baz': 'world' }],
    ['bar/notarget', { notarget: '' }],
  ];
  it.each(table)('archives %s with moby names', async (p, expected) => {
    const got = await names(p);
    for (const [name, content] of Object.entries(expected)) {
      expect(got.has(name), `${name} in ${[...got.keys()].join(' ')}`).toBe(true);
      expect(got.get(name)).toBe(content);
    }
  });

  it('gives exactly one entry for a file or a symlink', async () => {
    expect([...(await names('bar/quux/baz')).keys()]).toEqual(['baz']);
    const [link] = await readTar(packPath(root, '/bar/root'));
    expect(link.header).toMatchObject({ name: 'root', type: 'symlink', linkname: '/' });
  });

  it('stores headers: types, modes, owners, times, links', async () => {
    mkdirSync(r('t/d'), { recursive: true });
    writeFileSync(r('t/d/f'), 'data');
    chownSync(r('t/d/f'), 1234, 5678);
    chmodSync(r('t/d/f'), 0o4751); // after chown, which clears setuid
    utimesSync(r('t/d/f'), 1_500_000_000, 1_600_000_000.75);
    chmodSync(r('t/d'), 0o750);
    utimesSync(r('t/d'), 1_500_000_000, 1_400_000_000);
    linkSync(r('t/d/f'), r('t/hard'));
    symlinkSync('d/f', r('t/sym'));
    lutimesSync(r('t/sym'), 1_300_000_000, 1_300_000_000);
    const entries = await readTar(packPath(root, '/t'));
    const byName = new Map(entries.map((e) => [e.header.name, e]));
    expect(entries.map((e) => e.header.name)).toEqual(['t/', 't/d/', 't/d/f', 't/hard', 't/sym']);
    expect(byName.get('t/d/')?.header).toMatchObject({ type: 'directory', mode: 0o750 });
    expect(byName.get('t/d/')?.header.mtime.getTime()).toBe(1_400_000_000_000);
    expect(byName.get('t/d/f')?.header).toMatchObject({
      type: 'file',
      mode: 0o4751,
      uid: 1234,
      gid: 5678,
      size: 4,
    });
    expect(byName.get('t/d/f')?.header.mtime.getTime()).toBe(1_600_000_000_000); // whole seconds
    expect(byName.get('t/d/f')?.content.toString()).toBe('data');
    expect(byName.get('t/hard')?.header).toMatchObject({ type: 'link', linkname: 't/d/f', size: 0 });
    expect(byName.get('t/sym')?.header).toMatchObject({ type: 'symlink', linkname: 'd/f' });
  });

  it('never follows symlinks out of the root', async () => {
    const got = await names('/bar');
    expect(got.get('bar/hostdir')).toBe('');
    expect([...got.keys()].some((n) => n.includes('secret'))).toBe(false);
    // Following the final link with a trailing slash resolves inside the root: <root><sentinel>.
    await expect(readTar(packPath(root, '/bar/hostdir/'))).rejects.toMatchObject({ code: 'ENOENT' });
    mkdirSync(r(sb.sentinel), { recursive: true });
    writeFileSync(r(sb.sentinel, 'inside'), 'container data');
    const inside = await names('/bar/hostdir/');
    expect([...inside.keys()].sort()).toEqual(['hostdir/', 'hostdir/inside']);
  });

  it('skips sockets, keeps fifos and devices', async () => {
    mkdirSync(r('s'));
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(r('s/sock'), resolve));
    try {
      const { execFileSync } = await import('node:child_process');
      execFileSync('mkfifo', [r('s/fifo')]);
      execFileSync('mknod', [r('s/null'), 'c', '1', '3']);
      const entries = await readTar(packPath(root, '/s'));
      const byName = new Map(entries.map((e) => [e.header.name, e.header]));
      expect([...byName.keys()]).toEqual(['s/', 's/fifo', 's/null']);
      expect(byName.get('s/fifo')?.type).toBe('fifo');
      expect(byName.get('s/null')).toMatchObject({ type: 'character-device', devmajor: 1, devminor: 3 });
    } finally {
      server.close();
    }
  });

  it('lists only the contents with contentsOnly (docker export layout)', async () => {
    const entries = await readTar(packPath(root, '/', { contentsOnly: true }));
    const n = entries.map((e) => e.header.name);
    expect(n).toContain('foo');
    expect(n).toContain('bar/');
    expect(n).toContain('bar/quux/baz');
    expect(n.some((x) => x.startsWith('/') || x.startsWith('./'))).toBe(false);
  });

  it('keeps long names whole, the leading "/" of archiving "/" included', async () => {
    const long = `${'x'.repeat(120)}/${'y'.repeat(90)}`;
    mkdirSync(r(long), { recursive: true });
    writeFileSync(r(long, 'f'), 'deep');
    symlinkSync('z'.repeat(150), r('longlink'));
    const got = await names('/');
    expect(got.get(`/${long}/f`)).toBe('deep');
    expect(got.has(`/${long}/`)).toBe(true);
    const [link] = await readTar(packPath(root, '/longlink'));
    expect(link.header.linkname).toBe('z'.repeat(150));
  });

  it('fails the stream for a missing path', async () => {
    await expect(readTar(packPath(root, '/nope'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readTar(packPath(root, '/foo/'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('streams large files with backpressure', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 123, 7);
    big[big.length - 1] = 9;
    writeFileSync(r('big'), big);
    const [e] = await readTar(packPath(root, '/big'));
    expect(e.header.size).toBe(big.length);
    expect(e.content.equals(big)).toBe(true);
  });

  it('never reads outside the root while the container swaps a directory for a symlink', async () => {
    mkdirSync(r('d/inner'), { recursive: true });
    writeFileSync(r('d/inner/f'), 'container data');
    symlinkSync(sb.sentinel, r('s'));
    mkdirSync(path.join(sb.sentinel, 'inner'));
    writeFileSync(path.join(sb.sentinel, 'inner/f'), 'host data');
    const stop = startSwapper(root, 'd', 's');
    let archives = 0;
    try {
      const deadline = Date.now() + 1500;
      while (Date.now() < deadline) {
        for (const p of ['/d/', '/d/inner', '/d/inner/f', '/']) {
          const entries = await readTar(packPath(root, p)).catch(() => []);
          if (entries.length > 0) archives++;
          for (const e of entries) expect(e.content.toString()).not.toBe('host data');
        }
      }
    } finally {
      await stop();
    }
    expect(archives).toBeGreaterThan(0);
  });
});
