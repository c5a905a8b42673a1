// Whiteouts applied to a plain tree (native snapshotter, or a layer unpacked through a mount).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from './apply.js';
import { type TarSpec, buildTar, removeDir, snapshotTree, streamOf, tempDir } from './test-helpers.js';

const OCI_TAR = 'application/vnd.oci.image.layer.v1.tar';

describe('applyLayer in naive mode', () => {
  let base: string;
  let root: string;

  const apply = async (entries: TarSpec[]) =>
    applyLayer(streamOf(await buildTar(entries)), OCI_TAR, { root, lowers: [], mode: 'naive' });
  const tree = async () => Object.keys(await snapshotTree(root)).filter((n) => n !== '.');

  beforeEach(async () => {
    base = await tempDir('naive');
    root = path.join(base, 'root');
    await fs.mkdir(root);
    await apply([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/keep', content: 'k' },
      { name: 'etc/gone', content: 'g' },
      { name: 'gonedir/', type: 'directory' },
      { name: 'gonedir/deep/', type: 'directory' },
      { name: 'gonedir/deep/file', content: 'f' },
      { name: 'opq/', type: 'directory' },
      { name: 'opq/old', content: 'o' },
      { name: 'opq/sub/', type: 'directory' },
      { name: 'opq/sub/old', content: 'o' },
      { name: 'opq/sub/link', type: 'symlink', linkname: '/etc' },
    ]);
  });
  afterEach(() => removeDir(base));

  it('removes whited-out files and directories, leaving no markers', async () => {
    await apply([{ name: 'etc/.wh.gone' }, { name: '.wh.gonedir' }, { name: 'etc/.wh.never-existed' }]);
    expect(await tree()).toEqual([
      'etc',
      'etc/keep',
      'opq',
      'opq/old',
      'opq/sub',
      'opq/sub/link',
      'opq/sub/old',
    ]);
  });

  it('empties an opaque directory of everything but what this layer put there, in any order', async () => {
    await apply([
      { name: 'opq/', type: 'directory' },
      { name: 'opq/before', content: 'b' },
      { name: 'opq/sub/kept', content: 'k' },
      { name: 'opq/.wh..wh..opq' },
      { name: 'opq/after', content: 'a' },
    ]);
    expect(await tree()).toEqual([
      'etc',
      'etc/gone',
      'etc/keep',
      'gonedir',
      'gonedir/deep',
      'gonedir/deep/file',
      'opq',
      'opq/after',
      'opq/before',
      'opq/sub',
      'opq/sub/kept',
    ]);
  });

  it('does not let a whiteout delete what the same layer created', async () => {
    await apply([{ name: 'etc/new', content: 'n' }, { name: 'etc/.wh.new' }]);
    expect(await fs.readFile(path.join(root, 'etc/new'), 'utf8')).toBe('n');
  });

  it('replaces an existing path unless it is a directory meeting a directory', async () => {
    await apply([
      { name: 'etc', content: 'now a file' },
      { name: 'opq/', type: 'directory', mode: 0o700 },
      { name: 'gonedir/deep', type: 'symlink', linkname: '../etc' },
    ]);
    expect(await fs.readFile(path.join(root, 'etc'), 'utf8')).toBe('now a file');
    expect((await fs.stat(path.join(root, 'opq'))).mode & 0o777).toBe(0o700);
    expect(await fs.readdir(path.join(root, 'opq'))).toEqual(['old', 'sub']);
    expect(await fs.readlink(path.join(root, 'gonedir/deep'))).toBe('../etc');
  });
});
