import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from './apply.js';
import { devMajor, devMinor } from '../../pkg/sys/mknod.js';
import { lgetxattr } from '../../pkg/sys/xattr.js';
import { buildTar, removeDir, sha256, snapshotTree, streamOf, tempDir, withOverlay } from './test-helpers.js';

const OCI_TAR = 'application/vnd.oci.image.layer.v1.tar';
const T1 = 1_600_000_000;
const T2 = 1_650_000_000;

const lowerLayer = () =>
  buildTar([
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/keep', content: 'keep\n' },
    { name: 'etc/gone', content: 'gone\n' },
    { name: 'opq/', type: 'directory', mode: 0o755 },
    { name: 'opq/old1', content: 'old1' },
    { name: 'opq/sub/', type: 'directory', mode: 0o755 },
    { name: 'opq/sub/old2', content: 'old2' },
    { name: 'redo/', type: 'directory', mode: 0o755 },
    { name: 'redo/lower-only', content: 'should be hidden' },
    { name: 'var/', type: 'directory', mode: 0o755 },
    {
      name: 'var/lib/',
      type: 'directory',
      mode: 0o750,
      uid: 5,
      gid: 6,
      pax: { 'SCHILY.xattr.user.lower': 'yes' },
    },
  ]);

const upperLayer = () =>
  buildTar([
    { name: 'etc/.wh.gone', uid: 7, gid: 8 },
    // Deleted and re-created in one layer: the new directory hides the old one's contents.
    { name: '.wh.redo' },
    { name: 'redo/', type: 'directory', mode: 0o700 },
    { name: 'redo/fresh', content: 'fresh' },
    { name: 'opq/', type: 'directory', mode: 0o711 },
    { name: 'opq/.wh..wh..opq' },
    { name: 'opq/new', content: 'new' },
    { name: 'var/lib/data', content: 'data', mode: 0o600 },
    { name: 'files/', type: 'directory', mode: 0o755, mtime: new Date(T2 * 1000) },
    {
      name: 'files/suid',
      content: 'suid-binary',
      mode: 0o4755,
      uid: 1000,
      gid: 1001,
      mtime: new Date(T2 * 1000),
      pax: { 'SCHILY.xattr.user.test': 'hello', atime: `${T2 + 5}.5` },
    },
    { name: 'files/sticky/', type: 'directory', mode: 0o1777 },
    { name: 'files/sgid/', type: 'directory', mode: 0o2755, uid: 3, gid: 4 },
    // A hard link header carries the inode's metadata again (and it is applied again, as containerd does).
    {
      name: 'files/hard',
      type: 'link',
      linkname: 'files/suid',
      mode: 0o4755,
      uid: 1000,
      gid: 1001,
      mtime: new Date(T2 * 1000),
      pax: { atime: `${T2 + 5}.5` },
    },
    { name: 'files/rel', type: 'symlink', linkname: 'suid', uid: 1000, gid: 1000 },
    { name: 'files/abs', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'files/fifo', type: 'fifo', mode: 0o640 },
    { name: 'files/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 },
    { name: 'files/loop', type: 'block-device', mode: 0o660, devmajor: 7, devminor: 1 },
    { name: 'files/x/../inside', content: 'dot-dot inside the root is fine' },
    { name: '/absolute/file', content: 'absolute names are relative to the root' },
  ]);

describe('applyLayer into an overlay upper dir', () => {
  let base: string;
  let lower: string;
  let upper: string;

  beforeEach(async () => {
    base = await tempDir('apply');
    lower = path.join(base, 'lower');
    upper = path.join(base, 'upper');
    await fs.mkdir(lower);
    await fs.mkdir(upper);
    await applyLayer(streamOf(await lowerLayer()), OCI_TAR, { root: lower, lowers: [], mode: 'naive' });
  });
  afterEach(() => removeDir(base));

  it('returns the sha256 and length of the uncompressed tar', async () => {
    const layer = await upperLayer();
    const res = await applyLayer(streamOf(layer), OCI_TAR, { root: upper, lowers: [lower], mode: 'overlay' });
    expect(res).toEqual({ diffId: sha256(layer), size: layer.length });
  });

  it('stops between entries once its caller has gone away, writing nothing more', async () => {
    const many = await buildTar(
      Array.from({ length: 200 }, (_, i) => ({ name: `f${String(i).padStart(3, '0')}`, content: 'x' })),
    );
    const abort = new AbortController();
    abort.abort(new Error('caller went away'));
    await expect(
      applyLayer(streamOf(many), OCI_TAR, { root: upper, lowers: [lower], mode: 'overlay' }, abort.signal),
    ).rejects.toThrow('caller went away');
    expect(await fs.readdir(upper)).toEqual([]);
  });

  it('replaces entries repeated in directories the layer itself created (no lstat shortcut there)', async () => {
    const layer = await buildTar([
      { name: 'new/', type: 'directory', mode: 0o755 },
      { name: 'new/f', content: 'first' },
      { name: 'new/f', content: 'second' },
      { name: 'new/sub/', type: 'directory', mode: 0o755 },
      { name: 'new/sub', content: 'now a file' },
      { name: 'implied/deep/x', content: 'x1' },
      { name: 'implied/deep/x', content: 'x2' },
      // A whiteout inside a new directory, then the same name again.
      { name: 'new/.wh.g' },
      { name: 'new/g', content: 'g' },
    ]);
    await applyLayer(streamOf(layer), OCI_TAR, { root: upper, lowers: [lower], mode: 'overlay' });
    expect(await fs.readFile(path.join(upper, 'new/f'), 'utf8')).toBe('second');
    expect(await fs.readFile(path.join(upper, 'new/sub'), 'utf8')).toBe('now a file');
    expect(await fs.readFile(path.join(upper, 'implied/deep/x'), 'utf8')).toBe('x2');
    expect(await fs.readFile(path.join(upper, 'new/g'), 'utf8')).toBe('g');
  });

  it('writes overlay whiteouts and copies parent metadata from the lower layer', async () => {
    await applyLayer(streamOf(await upperLayer()), OCI_TAR, {
      root: upper,
      lowers: [lower],
      mode: 'overlay',
    });
    const wh = await fs.lstat(path.join(upper, 'etc/gone'), { bigint: true });
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0n);
    expect([wh.uid, wh.gid]).toEqual([7n, 8n]);
    expect(lgetxattr(path.join(upper, 'opq'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    const names = Object.keys(await snapshotTree(upper));
    expect(names.filter((n) => path.basename(n).startsWith('.wh.'))).toEqual([]);
    // var/lib was not in the layer: recreated like the lower's copy (mode, owner, xattrs, times).
    const lib = await fs.stat(path.join(upper, 'var/lib'));
    const lowerLib = await fs.stat(path.join(lower, 'var/lib'));
    expect([lib.mode & 0o7777, lib.uid, lib.gid]).toEqual([0o750, 5, 6]);
    expect(lib.mtimeMs).toBe(lowerLib.mtimeMs);
    expect(lgetxattr(path.join(upper, 'var/lib'), 'user.lower')?.toString()).toBe('yes');
    // etc/ was created for the whiteout only: it keeps the lower's metadata too.
    expect((await fs.stat(path.join(upper, 'etc'))).mtimeMs).toBe(
      (await fs.stat(path.join(lower, 'etc'))).mtimeMs,
    );
    expect((await fs.stat(path.join(upper, 'files/inside'))).isFile()).toBe(true);
    expect((await fs.stat(path.join(upper, 'absolute/file'))).isFile()).toBe(true);
  });

  it('gives the merged view the layer describes', async () => {
    await applyLayer(streamOf(await upperLayer()), OCI_TAR, {
      root: upper,
      lowers: [lower],
      mode: 'overlay',
    });
    await withOverlay([lower], upper, base, async (m) => {
      const ls = async (d: string) => (await fs.readdir(path.join(m, d))).sort();
      expect(await ls('etc')).toEqual(['keep']);
      expect(await ls('opq')).toEqual(['new']);
      expect(await ls('redo')).toEqual(['fresh']);
      expect(await ls('var/lib')).toEqual(['data']);
      expect(await ls('files')).toEqual([
        'abs',
        'fifo',
        'hard',
        'inside',
        'loop',
        'null',
        'rel',
        'sgid',
        'sticky',
        'suid',
      ]);

      const suid = await fs.lstat(path.join(m, 'files/suid'), { bigint: true });
      expect(suid.mode & 0o7777n).toBe(0o4755n);
      expect([suid.uid, suid.gid]).toEqual([1000n, 1001n]);
      expect(suid.mtimeNs).toBe(BigInt(T2) * 1_000_000_000n);
      expect(suid.atimeNs).toBe(BigInt(T2 + 5) * 1_000_000_000n + 500_000_000n);
      expect(await fs.readFile(path.join(m, 'files/suid'), 'utf8')).toBe('suid-binary');
      expect(lgetxattr(path.join(m, 'files/suid'), 'user.test')?.toString()).toBe('hello');
      const hard = await fs.lstat(path.join(m, 'files/hard'), { bigint: true });
      expect(hard.ino).toBe(suid.ino);
      expect(suid.nlink).toBe(2n);

      expect((await fs.lstat(path.join(m, 'files/sticky'))).mode & 0o7777).toBe(0o1777);
      const sgid = await fs.lstat(path.join(m, 'files/sgid'));
      expect([sgid.mode & 0o7777, sgid.uid, sgid.gid]).toEqual([0o2755, 3, 4]);
      expect(await fs.readlink(path.join(m, 'files/rel'))).toBe('suid');
      expect(await fs.readlink(path.join(m, 'files/abs'))).toBe('/etc/passwd');
      const rel = await fs.lstat(path.join(m, 'files/rel'));
      expect([rel.uid, rel.gid]).toEqual([1000, 1000]);
      const fifo = await fs.lstat(path.join(m, 'files/fifo'));
      expect(fifo.isFIFO()).toBe(true);
      expect(fifo.mode & 0o7777).toBe(0o640);
      const nul = await fs.lstat(path.join(m, 'files/null'), { bigint: true });
      expect(nul.isCharacterDevice()).toBe(true);
      expect([devMajor(nul.rdev), devMinor(nul.rdev), Number(nul.mode & 0o7777n)]).toEqual([1, 3, 0o666]);
      const loop = await fs.lstat(path.join(m, 'files/loop'), { bigint: true });
      expect(loop.isBlockDevice()).toBe(true);
      expect([devMajor(loop.rdev), devMinor(loop.rdev)]).toEqual([7, 1]);
      // Directory times are set after their contents were created.
      expect((await fs.lstat(path.join(m, 'files'))).mtimeMs).toBe(T2 * 1000);
      expect((await fs.lstat(path.join(m, 'opq'))).mode & 0o7777).toBe(0o711);
      expect((await fs.lstat(path.join(m, 'opq/new'))).mtimeMs).toBe(T1 * 1000);
    });
  });
});
