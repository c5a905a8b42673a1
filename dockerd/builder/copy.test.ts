import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findSources, segmentRegExp, sourcesHash } from './copy.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function ctx(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'copy-'));
  dirs.push(dir);
  for (const [n, c] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, n)), { recursive: true });
    writeFileSync(path.join(dir, n), c);
  }
  return dir;
}

describe('COPY sources', () => {
  it('expands wildcards per segment', async () => {
    const dir = ctx({ 'a.txt': '1', 'b.txt': '2', 'c.md': '3', 'd/e.txt': '4' });
    expect((await findSources(dir, ['*.txt'], 'COPY', true)).map((s) => s.rel)).toEqual(['a.txt', 'b.txt']);
    expect((await findSources(dir, ['*/e.?xt'], 'COPY', true)).map((s) => s.rel)).toEqual(['d/e.txt']);
    expect(segmentRegExp('[ab].txt').test('b.txt')).toBe(true);
  });

  it('hashes content, not mtimes', async () => {
    const dir = ctx({ 'a.txt': 'same' });
    const h1 = sourcesHash(await findSources(dir, ['a.txt'], 'COPY', true));
    utimesSync(path.join(dir, 'a.txt'), new Date(0), new Date(0));
    expect(sourcesHash(await findSources(dir, ['a.txt'], 'COPY', true))).toBe(h1);
    writeFileSync(path.join(dir, 'a.txt'), 'diff');
    expect(sourcesHash(await findSources(dir, ['a.txt'], 'COPY', true))).not.toBe(h1);
    expect(h1).toMatch(/^file:[0-9a-f]{64}$/);
    expect(sourcesHash(await findSources(dir, ['.'], 'COPY', true))).toMatch(/^dir:/);
  });

  it("refuses paths outside the context with dockerd's text", async () => {
    const dir = ctx({ 'a.txt': '1' });
    await expect(findSources(dir, ['../x'], 'COPY', true)).rejects.toThrow(
      'COPY failed: forbidden path outside the build context: ../x ()',
    );
    await expect(findSources(dir, ['nope'], 'ADD', true)).rejects.toThrow(
      'ADD failed: file not found in build context or excluded by .dockerignore: stat nope: file does not exist',
    );
  });
});
