import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractInto } from './extract.js';
import { packPath } from './pack.js';
import {
  buildTar,
  listDir,
  type Sandbox,
  sandbox,
  startSwapper,
  streamOf,
  type TarSpec,
} from '../../pkg/archive/test-helpers.js';

describe('extractInto', () => {
  let sb: Sandbox;
  let root: string;
  const r = (...p: string[]) => path.join(root, ...p);
  const put = async (dest: string, entries: TarSpec[], opts = {}) =>
    extractInto(root, dest, streamOf(await buildTar(entries)), opts);
  /** Nothing may ever appear outside the root. */
  const expectConfined = () => {
    expect(listDir(sb.sentinel)).toEqual([]);
    expect(listDir(sb.base)).toEqual(['root', 'sentinel']);
  };

  beforeEach(async () => {
    sb = await sandbox();
    root = sb.root;
  });
  afterEach(async () => {
    expectConfined();
    await sb.cleanup();
  });

  describe('round trip with packPath', () => {
    it('keeps files, dirs, symlinks, hard links, modes, owners and times', async () => {
      const src = path.join(sb.base, 'root', 'src');
      mkdirSync(path.join(src, 'd/e'), { recursive: true });
      writeFileSync(path.join(src, 'd/f'), 'file data');
      chownSync(path.join(src, 'd/f'), 1000, 1001);
      chmodSync(path.join(src, 'd/f'), 0o2640);
      utimesSync(path.join(src, 'd/f'), 1_500_000_000, 1_600_000_000);
      linkSync(path.join(src, 'd/f'), path.join(src, 'hard'));
      symlinkSync('d/f', path.join(src, 'rel-link'));
      symlinkSync('/etc/passwd', path.join(src, 'abs-link'));
      chmodSync(path.join(src, 'd/e'), 0o1777);
      chmodSync(path.join(src, 'd'), 0o700);
      utimesSync(path.join(src, 'd'), 1_400_000_000, 1_400_000_000);
      utimesSync(path.join(src, 'd/e'), 1_300_000_000, 1_300_000_000);
      mkdirSync(r('dst'));

      await extractInto(root, '/dst', packPath(root, '/src'), { noOverwriteDirNonDir: true });

      const out = (...p: string[]) => r('dst/src', ...p);
      expect(readFileSync(out('d/f'), 'utf8')).toBe('file data');
      const f = statSync(out('d/f'));
      expect(f.mode & 0o7777).toBe(0o2640);
      expect([f.uid, f.gid]).toEqual([1000, 1001]);
      expect(f.mtimeMs).toBe(1_600_000_000_000);
      expect(statSync(out('hard')).ino).toBe(f.ino);
      expect(readlinkSync(out('rel-link'))).toBe('d/f');
      expect(readlinkSync(out('abs-link'))).toBe('/etc/passwd');
      expect(statSync(out('d/e')).mode & 0o7777).toBe(0o1777);
      expect(statSync(out('d')).mode & 0o7777).toBe(0o700);
      expect(statSync(out('d')).mtimeMs).toBe(1_400_000_000_000);
      expect(statSync(out('d/e')).mtimeMs).toBe(1_300_000_000_000);
    });

    it('accepts gzip-compressed tars', async () => {
      const tar = await buildTar([{ name: 'z.txt', content: 'zipped' }]);
      await extractInto(root, '/', Readable.from([gzipSync(tar)]));
      expect(readFileSync(r('z.txt'), 'utf8')).toBe('zipped');
    });

    it('refuses other compressions, and accepts an empty body', async () => {
      const xz = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]);
      await expect(extractInto(root, '/', Readable.from([xz]))).rejects.toMatchObject({ code: 'EINVAL' });
      await extractInto(root, '/', Readable.from([]));
    });
  });

  describe('destination', () => {
    it('must exist (ENOENT) and be a directory (EINVAL)', async () => {
      writeFileSync(r('file'), '');
      await expect(put('/dne', [{ name: 'x' }])).rejects.toMatchObject({ code: 'ENOENT', kind: 'NotFound' });
      await expect(put('/file', [{ name: 'x' }])).rejects.toMatchObject({
        code: 'EINVAL',
        message: 'extraction point is not a directory',
      });
      await expect(put('/file/', [{ name: 'x' }])).rejects.toThrow(/not a directory/);
    });

    it('follows a symlink to a directory, inside the root', async () => {
      mkdirSync(r('real'));
      symlinkSync('/real', r('link'));
      await put('/link', [{ name: 'x', content: '1' }]);
      expect(readFileSync(r('real/x'), 'utf8')).toBe('1');
      // A symlink naming a host directory means that path inside the root, which does not exist.
      symlinkSync(sb.sentinel, r('hostlink'));
      await expect(put('/hostlink', [{ name: 'y' }])).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  describe('confinement', () => {
    it('refuses names that leave the destination', async () => {
      mkdirSync(r('sub'));
      for (const name of ['../../escape', '../x', 'a/../../x', '/../sentinel/x']) {
        await expect(put('/', [{ name, content: 'bad' }]), name).rejects.toMatchObject({ code: 'EINVAL' });
      }
      // Relative to the destination: still refused even though it would stay in the root.
      await expect(put('/sub', [{ name: '../x', content: 'bad' }])).rejects.toMatchObject({ code: 'EINVAL' });
      expect(existsSync(r('x'))).toBe(false);
    });

    it('takes absolute names relative to the destination', async () => {
      await put('/', [
        { name: '/etc/x', content: 'not the host /etc' },
        { name: `${sb.sentinel}/y`, content: 'not the host sentinel' },
      ]);
      expect(readFileSync(r('etc/x'), 'utf8')).toBe('not the host /etc');
      expect(readFileSync(r(sb.sentinel, 'y'), 'utf8')).toBe('not the host sentinel');
    });

    it('follows symlinks already in the container relative to its root', async () => {
      symlinkSync('/', r('evil'));
      symlinkSync(sb.sentinel, r('hostlink'));
      symlinkSync('../../../../../../../..', r('up'));
      await put('/', [
        { name: 'evil/x', content: 'x' },
        { name: 'hostlink/y', content: 'y' },
        { name: 'up/z', content: 'z' },
      ]);
      expect(readFileSync(r('x'), 'utf8')).toBe('x');
      expect(readFileSync(r(sb.sentinel, 'y'), 'utf8')).toBe('y');
      expect(readFileSync(r('z'), 'utf8')).toBe('z');
    });

    it('follows symlinks made by the same tar relative to the root', async () => {
      await put('/', [
        { name: 's', type: 'symlink', linkname: sb.sentinel },
        { name: 's/f', content: 'through abs' },
        { name: 'u', type: 'symlink', linkname: '../../../../../..' },
        { name: 'u/g', content: 'through rel' },
        { name: 'd/', type: 'directory' },
        { name: 'd/back', type: 'symlink', linkname: '../..' },
        { name: 'd/back/h', content: 'through dir' },
      ]);
      expect(readlinkSync(r('s'))).toBe(sb.sentinel);
      expect(readFileSync(r(sb.sentinel, 'f'), 'utf8')).toBe('through abs');
      expect(readFileSync(r('g'), 'utf8')).toBe('through rel');
      expect(readFileSync(r('h'), 'utf8')).toBe('through dir');
    });

    it('replaces a final symlink instead of writing through it', async () => {
      writeFileSync(path.join(sb.base, 'target'), 'host file');
      try {
        symlinkSync(path.join(sb.base, 'target'), r('f'));
        symlinkSync(sb.sentinel, r('d'));
        await put('/', [
          { name: 'f', content: 'new', mode: 0o666 },
          { name: 'd', type: 'directory', mode: 0o777 },
        ]);
        expect(lstatSync(r('f')).isFile()).toBe(true);
        expect(readFileSync(r('f'), 'utf8')).toBe('new');
        expect(lstatSync(r('d')).isDirectory()).toBe(true);
        expect(readFileSync(path.join(sb.base, 'target'), 'utf8')).toBe('host file');
        expect(statSync(path.join(sb.base, 'target')).mode & 0o777).not.toBe(0o666);
        expect(statSync(sb.sentinel).mode & 0o777).not.toBe(0o777);
      } finally {
        const { rmSync } = await import('node:fs');
        rmSync(path.join(sb.base, 'target'));
      }
    });

    it('refuses hard links that leave the destination or do not exist', async () => {
      writeFileSync(path.join(sb.sentinel, '..', 'outside'), 'secret');
      try {
        mkdirSync(r('sub'));
        writeFileSync(r('sub/inside'), 'ok');
        symlinkSync(sb.sentinel, r('hostlink'));
        symlinkSync('/', r('evil'));
        const bad = ['../../outside', '../outside', '/../outside', 'missing', 'evil/../../outside', 'sub'];
        for (const linkname of bad) {
          await expect(put('/', [{ name: 'l', type: 'link', linkname }]), linkname).rejects.toMatchObject({
            code: 'EINVAL',
          });
        }
        // Through a symlink to a host path: resolved inside the root, where it does not exist.
        const viaLink = `hostlink/../outside`;
        await expect(put('/', [{ name: 'l', type: 'link', linkname: viaLink }])).rejects.toMatchObject({
          code: 'EINVAL',
        });
        expect(existsSync(r('l'))).toBe(false);
        // Absolute targets are relative to the destination.
        await put('/sub', [{ name: 'l2', type: 'link', linkname: '/inside' }]);
        expect(statSync(r('sub/l2')).ino).toBe(statSync(r('sub/inside')).ino);
        expect(statSync(path.join(sb.base, 'outside')).nlink).toBe(1);
      } finally {
        const { rmSync } = await import('node:fs');
        rmSync(path.join(sb.base, 'outside'));
      }
    });

    it('refuses device nodes', async () => {
      await expect(
        put('/', [{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }]),
      ).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringContaining('device') });
      await expect(
        put('/', [{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }]),
      ).rejects.toMatchObject({ code: 'EINVAL' });
      expect(listDir(root)).toEqual([]);
    });
  });

  describe('overwriting', () => {
    beforeEach(() => {
      mkdirSync(r('dir/child'), { recursive: true });
      writeFileSync(r('file'), 'old');
    });

    it('refuses dir/non-dir replacements with noOverwriteDirNonDir', async () => {
      await expect(
        put('/', [{ name: 'dir', content: 'x' }], { noOverwriteDirNonDir: true }),
      ).rejects.toMatchObject({
        code: 'EINVAL',
        message: 'cannot overwrite directory "/dir" with non-directory "dir"',
      });
      await expect(
        put('/', [{ name: 'file/', type: 'directory' }], { noOverwriteDirNonDir: true }),
      ).rejects.toMatchObject({ message: 'cannot overwrite non-directory "/file" with directory "file/"' });
      expect(lstatSync(r('dir/child')).isDirectory()).toBe(true);
      expect(readFileSync(r('file'), 'utf8')).toBe('old');
    });

    it('replaces either way without it, and merges directories', async () => {
      await put('/', [
        { name: 'dir', content: 'now a file' },
        { name: 'file/', type: 'directory' },
      ]);
      expect(readFileSync(r('dir'), 'utf8')).toBe('now a file');
      expect(lstatSync(r('file')).isDirectory()).toBe(true);
      mkdirSync(r('m/keep'), { recursive: true });
      await put('/', [
        { name: 'm/', type: 'directory', mode: 0o711 },
        { name: 'm/new', content: 'n' },
      ]);
      expect(listDir(r('m'))).toEqual(['keep', 'new']);
      expect(statSync(r('m')).mode & 0o777).toBe(0o711);
      // file over file is fine with the option.
      await put('/', [{ name: 'dir', content: 'over' }], { noOverwriteDirNonDir: true });
      expect(readFileSync(r('dir'), 'utf8')).toBe('over');
    });
  });

  it('creates implied directories, fifos, and applies owners', async () => {
    await put('/', [
      { name: 'a/b/c.txt', content: 'deep', uid: 12, gid: 34, mode: 0o600 },
      { name: 'a/p', type: 'fifo', mode: 0o640, uid: 5, gid: 6 },
      { name: 'big-ids', content: '', pax: { uid: '3000000', gid: '3000001' } },
    ]);
    const st = statSync(r('a/b/c.txt'));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([12, 34, 0o600]);
    expect(statSync(r('a/b')).mode & 0o777).toBe(0o755);
    const fifo = lstatSync(r('a/p'));
    expect(fifo.isFIFO()).toBe(true);
    expect([fifo.uid, fifo.gid, fifo.mode & 0o777]).toEqual([5, 6, 0o640]);
    const big = statSync(r('big-ids'));
    expect([big.uid, big.gid]).toEqual([3000000, 3000001]);
  });

  it('creates deep chains of implied directories', async () => {
    const deep = Array.from({ length: 300 }, () => 'a').join('/');
    await put('/', [{ name: `${deep}/f`, content: 'bottom' }]);
    expect(readFileSync(r(deep, 'f'), 'utf8')).toBe('bottom');
  });

  it('overrides owners with the chown option', async () => {
    await put('/', [{ name: 'o', content: '', uid: 12, gid: 34 }], { chown: { uid: 7, gid: 8 } });
    const st = statSync(r('o'));
    expect([st.uid, st.gid]).toEqual([7, 8]);
  });

  it('skips the "./" entry', async () => {
    await put('/', [
      { name: './', type: 'directory', mode: 0o700 },
      { name: './x', content: '1' },
    ]);
    expect(statSync(root).mode & 0o777).not.toBe(0o700);
    expect(readFileSync(r('x'), 'utf8')).toBe('1');
  });

  it('re-resolves parents after the tar replaces a directory with a symlink', async () => {
    await put('/', [
      { name: 'd/', type: 'directory' },
      { name: 'd/a', content: 'a' },
      { name: 'd', type: 'symlink', linkname: sb.sentinel },
      { name: 'd/b', content: 'b' },
    ]);
    expect(readlinkSync(r('d'))).toBe(sb.sentinel);
    expect(readFileSync(r(sb.sentinel, 'b'), 'utf8')).toBe('b');
  });

  describe('streams', () => {
    const openFds = () => listDir('/proc/self/fd').length;

    it('fails on a truncated tar and on an upload that ends early', async () => {
      const tar = await buildTar([{ name: 'f', content: Buffer.alloc(10_000, 1) }]);
      await expect(extractInto(root, '/', Readable.from([tar.subarray(0, 3000)]))).rejects.toThrow();
      const early = new PassThrough();
      const done = extractInto(root, '/', early);
      early.write(tar.subarray(0, 2000));
      early.destroy();
      await expect(done).rejects.toThrow();
    });

    it('keeps draining the upload after a refused entry, and leaks no descriptors', async () => {
      const before = openFds();
      const bad = await buildTar([{ name: '../x', content: 'bad' }]);
      const input = new PassThrough();
      const done = extractInto(root, '/', input);
      input.write(bad.subarray(0, 1024));
      await expect(done).rejects.toMatchObject({ code: 'EINVAL' });
      // The rest of the body still flows (an HTTP server can answer and keep the connection).
      const more = Buffer.alloc(1 << 20);
      for (let i = 0; i < 8; i++) expect(input.write(more) || input.readableFlowing).toBe(true);
      input.end();
      await put('/', [
        { name: 'ok/x', content: '1' },
        { name: 'ok/y/', type: 'directory' },
      ]);
      expect(openFds()).toBe(before);
    });

    it('stops packing when the reader goes away', async () => {
      const before = openFds();
      writeFileSync(r('big'), Buffer.alloc(8 << 20));
      const out = packPath(root, '/big');
      await new Promise<void>((resolve) => out.once('readable', resolve));
      out.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(openFds()).toBe(before);
    });
  });

  it('stays inside the root while the container swaps a directory for a symlink', async () => {
    mkdirSync(r('d'));
    symlinkSync(sb.sentinel, r('s'));
    const stop = startSwapper(root, 'd', 's');
    try {
      const deadline = Date.now() + 1500;
      for (let i = 0; Date.now() < deadline; i++) {
        const tar = await buildTar([
          { name: `d/f${i}`, content: 'x' },
          { name: `d/sub${i}/g`, content: 'y' },
        ]);
        await extractInto(root, '/', streamOf(tar)).catch(() => undefined);
        await extractInto(root, '/d', streamOf(tar)).catch(() => undefined);
      }
    } finally {
      await stop();
    }
    expect(listDir(sb.sentinel)).toEqual([]);
  });
});
