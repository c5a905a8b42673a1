// withTempMount with real mounts (as root): the directory exists and shows the mount while the
// function runs, and afterwards is unmounted and gone — also when the function or the mount fails —
// without ever deleting what the mount showed.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMountPoint, readOnly, withTempMount } from './mount.js';

const root = process.getuid?.() === 0;

describe('readOnly', () => {
  it('turns rw into ro and adds ro where neither is given', () => {
    expect(
      readOnly([
        { type: 'bind', source: '/a', options: ['rw', 'rbind'] },
        { type: 'overlay', source: 'overlay', options: ['lowerdir=/l'] },
        { type: 'bind', source: '/b', options: ['ro', 'rbind'] },
      ]).map((m) => m.options),
    ).toEqual([
      ['ro', 'rbind'],
      ['ro', 'lowerdir=/l'],
      ['ro', 'rbind'],
    ]);
  });
});

describe.skipIf(!root)('withTempMount', () => {
  let work: string;
  const tempDirs = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith('tsctr-mount-test-'));

  beforeEach(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'tsctr-mount-work-'));
    mkdirSync(path.join(work, 'src'));
    writeFileSync(path.join(work, 'src', 'file'), 'hello');
  });

  afterEach(() => {
    rmSync(work, { recursive: true, force: true });
  });

  const bind = () => [{ type: 'bind', source: path.join(work, 'src'), options: ['rbind'] }];

  it('mounts for the length of the function, then unmounts and removes the directory', async () => {
    let seen = '';
    const out = await withTempMount(
      bind(),
      async (dir) => {
        seen = dir;
        expect(isMountPoint(dir)).toBe(true);
        writeFileSync(path.join(dir, 'new'), 'x');
        return readFileSync(path.join(dir, 'file'), 'utf8');
      },
      { prefix: 'tsctr-mount-test-' },
    );
    expect(out).toBe('hello');
    expect(existsSync(seen)).toBe(false);
    expect(readFileSync(path.join(work, 'src', 'new'), 'utf8')).toBe('x');
    expect(tempDirs()).toEqual([]);
  });

  it('mounts read-only when asked to', async () => {
    await withTempMount(
      bind(),
      async (dir) => {
        expect(() => writeFileSync(path.join(dir, 'new'), 'x')).toThrow(/EROFS/);
      },
      { readonly: true, prefix: 'tsctr-mount-test-' },
    );
    expect(existsSync(path.join(work, 'src', 'new'))).toBe(false);
  });

  it('cleans up when the function throws, and leaves what the mount showed alone', async () => {
    await expect(
      withTempMount(
        bind(),
        async () => {
          throw new Error('boom');
        },
        { prefix: 'tsctr-mount-test-' },
      ),
    ).rejects.toThrow('boom');
    expect(tempDirs()).toEqual([]);
    expect(readFileSync(path.join(work, 'src', 'file'), 'utf8')).toBe('hello');
  });

  it('cleans up when the mount fails', async () => {
    await expect(
      withTempMount(
        [{ type: 'bind', source: path.join(work, 'absent'), options: ['rbind'] }],
        async () => 'never',
        { prefix: 'tsctr-mount-test-' },
      ),
    ).rejects.toThrow();
    expect(tempDirs()).toEqual([]);
  });

  it('mounts an overlay (upper over lower), read-only when asked', async () => {
    for (const d of ['upper', 'work']) mkdirSync(path.join(work, d));
    writeFileSync(path.join(work, 'upper', 'top'), 'up');
    const mounts = [
      {
        type: 'overlay',
        source: 'overlay',
        options: [
          `workdir=${path.join(work, 'work')}`,
          `upperdir=${path.join(work, 'upper')}`,
          `lowerdir=${path.join(work, 'src')}`,
        ],
      },
    ];
    const names = await withTempMount(mounts, async (dir) => readdirSync(dir).sort(), {
      prefix: 'tsctr-mount-test-',
    });
    expect(names).toEqual(['file', 'top']);
    await withTempMount(
      mounts,
      async (dir) => {
        expect(() => writeFileSync(path.join(dir, 'new'), 'x')).toThrow(/EROFS/);
      },
      { readonly: true, prefix: 'tsctr-mount-test-' },
    );
    expect(readdirSync(path.join(work, 'upper'))).toEqual(['top']);
    expect(tempDirs()).toEqual([]);
  });
});
