import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveInRoot } from './resolve.js';
import { type Sandbox, sandbox } from './test-helpers.js';

describe('resolveInRoot', () => {
  let sb: Sandbox;
  let root: string;
  const r = (...p: string[]) => path.join(root, ...p);

  beforeEach(async () => {
    sb = await sandbox();
    root = sb.root;
    mkdirSync(r('a/b/c'), { recursive: true });
    writeFileSync(r('a/b/file'), 'x');
    symlinkSync('/a/b', r('abs')); // absolute: relative to the root
    symlinkSync('a/b', r('rel'));
    symlinkSync('../../../../../../..', r('a/up')); // climbs far above the root
    symlinkSync('/', r('slash'));
    symlinkSync(sb.sentinel, r('host')); // a host path: means <root><host path>
    symlinkSync('loop2', r('loop1'));
    symlinkSync('loop1', r('loop2'));
    symlinkSync('c', r('a/b/toc'));
  });
  afterEach(() => sb.cleanup());

  it('follows absolute symlinks relative to the root', async () => {
    expect(await resolveInRoot(root, '/abs/c')).toBe(r('a/b/c'));
    expect(await resolveInRoot(root, 'abs')).toBe(r('a/b'));
    expect(await resolveInRoot(root, '/slash/slash/a')).toBe(r('a'));
  });

  it('keeps .. chains inside the root', async () => {
    expect(await resolveInRoot(root, '../../../etc/passwd')).toBe(r('etc/passwd'));
    expect(await resolveInRoot(root, '/a/up/a/b')).toBe(r('a/b'));
    expect(await resolveInRoot(root, '/a/up/../../x')).toBe(r('x'));
    expect(await resolveInRoot(root, '/rel/../b/c')).toBe(r('a/b/c'));
    expect(await resolveInRoot(root, '/abs/c/../../../../..')).toBe(root);
  });

  it('never resolves to a host path outside the root', async () => {
    expect(await resolveInRoot(root, '/host/x')).toBe(r(sb.sentinel, 'x'));
    expect(await resolveInRoot(root, '/host')).toBe(r(sb.sentinel));
  });

  it('does not follow the last component when asked not to', async () => {
    expect(await resolveInRoot(root, '/abs', { followLast: false })).toBe(r('abs'));
    expect(await resolveInRoot(root, '/rel/toc', { followLast: false })).toBe(r('a/b/toc'));
    expect(await resolveInRoot(root, '/rel/toc')).toBe(r('a/b/c'));
  });

  it('appends missing components lexically', async () => {
    expect(await resolveInRoot(root, '/a/missing/../x/y')).toBe(r('a/x/y'));
    expect(await resolveInRoot(root, '/abs/file/under-a-file')).toBe(r('a/b/file/under-a-file'));
  });

  it('gives up after too many symlinks', async () => {
    await expect(resolveInRoot(root, '/loop1/x')).rejects.toMatchObject({ code: 'ELOOP' });
  });
});
