// Hostile layers: nothing may be created, changed or removed outside the root, whatever the tar says.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKind } from '../../api/errdefs.js';
import { applyLayer } from './apply.js';
import { type TarSpec, buildTar, removeDir, snapshotTree, streamOf, tempDir } from './test-helpers.js';

const OCI_TAR = 'application/vnd.oci.image.layer.v1.tar';

describe('applyLayer confinement', () => {
  let base: string;
  let root: string;
  let sentinel: string;
  let before: Record<string, string>;

  beforeEach(async () => {
    base = await tempDir('confine');
    root = path.join(base, 'root');
    sentinel = path.join(base, 'sentinel');
    await fs.mkdir(root);
    await fs.mkdir(path.join(sentinel, 'sub'), { recursive: true });
    await fs.writeFile(path.join(sentinel, 'passwd'), 'root:x:0:0\n', { mode: 0o644 });
    await fs.writeFile(path.join(sentinel, 'shadow'), 'root:secret\n', { mode: 0o600 });
    await fs.writeFile(path.join(sentinel, 'sub/file'), 'keep me');
    before = await snapshotTree(sentinel);
  });
  afterEach(() => removeDir(base));

  const apply = async (entries: TarSpec[], mode: 'overlay' | 'naive' = 'naive') =>
    applyLayer(streamOf(await buildTar(entries)), OCI_TAR, { root, lowers: [], mode });

  /** The layer is refused with invalidArgument naming `entry`, and the sentinel is untouched. */
  const refused = async (entries: TarSpec[], entry: string, mode: 'overlay' | 'naive' = 'naive') => {
    const err = await apply(entries, mode).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the layer should be refused').toBeInstanceOf(Error);
    expect(isKind(err, 'InvalidArgument'), String(err)).toBe(true);
    expect((err as Error).message).toContain(JSON.stringify(entry));
    expect(await snapshotTree(sentinel)).toEqual(before);
    return (err as Error).message;
  };

  it('refuses names that climb out of the root', async () => {
    expect(await refused([{ name: '../sentinel/x', content: 'pwned' }], '../sentinel/x')).toMatch(
      /climbs out/,
    );
    await refused([{ name: '../../etc/x', content: 'pwned' }], '../../etc/x');
    await refused([{ name: 'a/../../sentinel/passwd', content: 'pwned' }], 'a/../../sentinel/passwd');
    await refused([{ name: '/../sentinel/passwd', content: 'pwned' }], '/../sentinel/passwd');
    expect(await fs.readdir(base)).toEqual(['root', 'sentinel']);
  });

  it('refuses writing through an absolute symlink', async () => {
    const msg = await refused(
      [
        { name: 'evil', type: 'symlink', linkname: sentinel },
        { name: 'evil/passwd', content: 'pwned' },
      ],
      'evil/passwd',
    );
    expect(msg).toMatch(/symlink "evil"/);
  });

  it('refuses writing through a relative symlink and a symlink chain', async () => {
    await refused(
      [
        { name: 'evil', type: 'symlink', linkname: '../sentinel' },
        { name: 'evil/new', content: 'pwned' },
      ],
      'evil/new',
    );
    await refused(
      [
        { name: 'a', type: 'symlink', linkname: 'b' },
        { name: 'b', type: 'symlink', linkname: '../../..' + sentinel },
        { name: 'a/passwd', content: 'pwned' },
      ],
      'a/passwd',
    );
    await refused(
      [
        { name: 'd/', type: 'directory' },
        { name: 'd/e', type: 'symlink', linkname: '../../../sentinel' },
        { name: 'd/e/sub/', type: 'directory', mode: 0o777 },
      ],
      'd/e/sub/',
    );
  });

  it('refuses a directory replaced by a symlink earlier in the same layer', async () => {
    await refused(
      [
        { name: 'd/', type: 'directory' },
        { name: 'd/ok', content: 'fine' },
        { name: 'd', type: 'symlink', linkname: sentinel },
        { name: 'd/passwd', content: 'pwned' },
      ],
      'd/passwd',
    );
  });

  it('refuses hard links that leave the root, go through symlinks or point at nothing', async () => {
    expect(await refused([{ name: 'x', type: 'link', linkname: '../sentinel/shadow' }], 'x')).toMatch(
      /climbs out/,
    );
    expect(await refused([{ name: 'x', type: 'link', linkname: '/etc/shadow' }], 'x')).toMatch(
      /not in the layer root|does not exist/,
    );
    await refused(
      [
        { name: 'evil', type: 'symlink', linkname: sentinel },
        { name: 'x', type: 'link', linkname: 'evil/shadow' },
      ],
      'x',
    );
    await refused([{ name: 'x', type: 'link', linkname: 'missing' }], 'x');
  });

  it('refuses whiteouts and opaque markers reached through a symlink, in both modes', async () => {
    for (const mode of ['naive', 'overlay'] as const) {
      await refused(
        [{ name: 'evil', type: 'symlink', linkname: sentinel }, { name: 'evil/.wh.passwd' }],
        'evil/.wh.passwd',
        mode,
      );
      await refused(
        [{ name: 'evil', type: 'symlink', linkname: sentinel }, { name: 'evil/.wh..wh..opq' }],
        'evil/.wh..wh..opq',
        mode,
      );
      await refused([{ name: 'dir/.wh..' }], 'dir/.wh..', mode);
    }
  });

  it('stores symlinks without ever following them', async () => {
    await apply([
      // Replacing a symlink replaces the link, not what it points at.
      { name: 'passwd', type: 'symlink', linkname: path.join(sentinel, 'passwd') },
      { name: 'passwd', content: 'replaced', mode: 0o777 },
      // A directory entry on a symlink to a directory replaces the symlink.
      { name: 'dir', type: 'symlink', linkname: sentinel },
      { name: 'dir/', type: 'directory', mode: 0o700, uid: 1234 },
      // A hard link to a symlink links the symlink; chmod/chown must not reach its target.
      { name: 'shadow', type: 'symlink', linkname: path.join(sentinel, 'shadow') },
      { name: 'hard', type: 'link', linkname: 'shadow', mode: 0o777, uid: 1234, gid: 1234 },
      { name: 'etc', type: 'symlink', linkname: '/etc' },
    ]);
    expect(await snapshotTree(sentinel)).toEqual(before);
    expect(await fs.readFile(path.join(root, 'passwd'), 'utf8')).toBe('replaced');
    expect((await fs.lstat(path.join(root, 'dir'))).isDirectory()).toBe(true);
    expect(await fs.readlink(path.join(root, 'hard'))).toBe(path.join(sentinel, 'shadow'));
    expect(await fs.readlink(path.join(root, 'etc'))).toBe('/etc');
  });

  it('applies a `..` that stays inside the root', async () => {
    const res = await apply([
      { name: 'a/', type: 'directory' },
      { name: 'a/b/../c', content: 'c' },
      { name: './a/./d/../../e', content: 'e' },
      { name: 'l', type: 'link', linkname: 'a/x/../c' },
    ]);
    expect(res.size).toBeGreaterThan(0);
    expect(await fs.readFile(path.join(root, 'a/c'), 'utf8')).toBe('c');
    expect(await fs.readFile(path.join(root, 'e'), 'utf8')).toBe('e');
    expect((await fs.stat(path.join(root, 'l'))).ino).toBe((await fs.stat(path.join(root, 'a/c'))).ino);
    expect(await snapshotTree(sentinel)).toEqual(before);
  });
});
