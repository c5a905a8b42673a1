import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGroup, parsePasswd, readUserDb, resolveInRoot } from './users.js';

describe('passwd and group parsing', () => {
  it('reads fields like runc does', () => {
    expect(parsePasswd('  app:x:1000:1000:App:/home/app:/bin/sh \r\n\nshort:x:7\nbad:x:x1:-\n')).toEqual([
      { name: 'app', pass: 'x', uid: 1000, gid: 1000, gecos: 'App', home: '/home/app', shell: '/bin/sh' },
      { name: 'short', pass: 'x', uid: 7, gid: 0, gecos: '', home: '', shell: '' },
      { name: 'bad', pass: 'x', uid: 0, gid: 0, gecos: '', home: '', shell: '' },
    ]);
    expect(parseGroup('# comment\nwheel:x:10:root,app\nempty:x:11:\nnolist:x:12\n')).toEqual([
      { name: 'wheel', pass: 'x', gid: 10, members: ['root', 'app'] },
      { name: 'empty', pass: 'x', gid: 11, members: [] },
      { name: 'nolist', pass: 'x', gid: 12, members: [] },
    ]);
  });
});

describe('readUserDb', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tsctr-users-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads both files, and a missing one as undefined', async () => {
    const root = path.join(dir, 'plain');
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    expect(await readUserDb(root)).toEqual({
      passwd: [{ name: 'root', pass: 'x', uid: 0, gid: 0, gecos: '', home: '/root', shell: '/bin/sh' }],
      group: undefined,
    });
    expect(await readUserDb(path.join(dir, 'nothing-here'))).toEqual({ passwd: undefined, group: undefined });
  });

  it('follows symlinks inside the root and never out of it', async () => {
    const root = path.join(dir, 'links');
    await mkdir(path.join(root, 'real'), { recursive: true });
    await writeFile(path.join(root, 'real/passwd'), 'inside:x:1:1::/:/bin/sh\n');
    // /etc -> /real (absolute: means <root>/real); /real/group climbs above the root, and stays clamped to it.
    await symlink('/real', path.join(root, 'etc'));
    await symlink('../../../../../../tsctr-group', path.join(root, 'real/group'));
    await writeFile(path.join(root, 'tsctr-group'), 'mine:x:5:\n');
    expect(await resolveInRoot(root, '/etc/passwd')).toBe(path.join(root, 'real/passwd'));
    expect(await resolveInRoot(root, '/etc/group')).toBe(path.join(root, 'tsctr-group'));
    expect(await resolveInRoot(root, '/../etc/./missing/x')).toBe(path.join(root, 'real/missing/x'));
    const db = await readUserDb(root);
    expect(db.passwd?.map((u) => u.name)).toEqual(['inside']);
    expect(db.group?.map((g) => g.name)).toEqual(['mine']);
  });

  it('stops link loops', async () => {
    const root = path.join(dir, 'loop');
    await mkdir(root, { recursive: true });
    await symlink('/a', path.join(root, 'b'));
    await symlink('/b', path.join(root, 'a'));
    await expect(resolveInRoot(root, '/a/x')).rejects.toThrow(/too many links/);
  });
});
