import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyDockerignore, looksLikeTar, readIgnorePatterns } from './context.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? [`${r}/`, ...tree(dir, r)] : [r];
  });
}

describe('.dockerignore', () => {
  it('reads patterns as moby: comments, blanks, cleaning, leading slash, exceptions', () => {
    expect(readIgnorePatterns('# c\n\n /abs/ \n!keep\n./a/../b\n')).toEqual(['abs', '!keep', 'b']);
  });

  it('removes what is excluded, with ** and ! exceptions and whole directories', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ign-'));
    dirs.push(dir);
    for (const f of ['secret/key', 'src/app.js', 'src/keep.md', 'src/notes.md', 'top.md', 'Dockerfile']) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), f);
    }
    writeFileSync(path.join(dir, '.dockerignore'), 'secret\n**/*.md\n!src/keep.md\n');
    applyDockerignore(dir);
    expect(tree(dir).sort()).toEqual(['.dockerignore', 'Dockerfile', 'src/', 'src/app.js', 'src/keep.md']);
  });
});

describe('looksLikeTar', () => {
  it('checks the header checksum', () => {
    expect(looksLikeTar(Buffer.from('FROM busybox\n'.padEnd(600)))).toBe(false);
    const h = Buffer.alloc(512);
    h.write('a', 0);
    h.write('0000644\0', 100);
    h.write('        ', 148);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    expect(looksLikeTar(h)).toBe(true);
  });
});
