import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyTree } from './tree-copy.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = (p: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), p));
  dirs.push(d);
  return d;
};

describe('copyTree', () => {
  it('copies a tree with its modes and the given owner, merging into existing directories', () => {
    const src = tmp('src-');
    mkdirSync(path.join(src, 'd/e'), { recursive: true });
    writeFileSync(path.join(src, 'd/e/f.txt'), 'f', { mode: 0o640 });
    symlinkSync('e/f.txt', path.join(src, 'd/link'));
    const root = tmp('root-');
    mkdirSync(path.join(root, 'app/d'), { recursive: true });
    writeFileSync(path.join(root, 'app/d/keep.txt'), 'keep');
    copyTree(src, root, '/app', undefined, { uid: 1000, gid: 1000 });
    expect(readFileSync(path.join(root, 'app/d/e/f.txt'), 'utf8')).toBe('f');
    expect(lstatSync(path.join(root, 'app/d/e/f.txt')).mode & 0o777).toBe(0o640);
    expect(lstatSync(path.join(root, 'app/d/e/f.txt')).uid).toBe(1000);
    expect(lstatSync(path.join(root, 'app/d/link')).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(root, 'app/d/keep.txt'), 'utf8')).toBe('keep');
  });

  it('never writes outside the root: destination symlinks resolve inside it, final symlinks are replaced', () => {
    const outside = tmp('outside-');
    const src = tmp('src-');
    writeFileSync(path.join(src, 'x.txt'), 'x');
    const root = tmp('root-');
    // /dest is an absolute symlink in the image: it means <root>/<outside>, not the host's.
    symlinkSync(outside, path.join(root, 'dest'));
    mkdirSync(path.join(root, outside), { recursive: true });
    copyTree(path.join(src, 'x.txt'), root, '/dest', 'x.txt', { uid: 0, gid: 0 });
    expect(existsSync(path.join(outside, 'x.txt'))).toBe(false);
    expect(readFileSync(path.join(root, outside, 'x.txt'), 'utf8')).toBe('x');
    // A symlink where the file goes is replaced, not written through.
    mkdirSync(path.join(root, 'app'));
    symlinkSync(path.join(outside, 'victim'), path.join(root, 'app/x.txt'));
    copyTree(path.join(src, 'x.txt'), root, '/app', 'x.txt', { uid: 0, gid: 0 });
    expect(existsSync(path.join(outside, 'victim'))).toBe(false);
    expect(lstatSync(path.join(root, 'app/x.txt')).isFile()).toBe(true);
  });
});
