import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { BuildContext } from './build-context.js';
import { findSources } from './copy.js';

const dirs: string[] = [];
const contexts: BuildContext[] = [];
afterEach(() => {
  for (const c of contexts.splice(0)) c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'bctx-'));
  dirs.push(d);
  return d;
}

/** A context directory sent as the CLI does (a tar of its entries), and a place to receive it. */
function sample(): string {
  const src = tmp();
  const files: Record<string, string> = {
    Dockerfile: 'FROM scratch\n',
    '.dockerignore': '*.log\nsecret\n!keep.log\n',
    'a.txt': 'a\n',
    'b.log': 'log\n',
    'keep.log': 'kept\n',
    'secret/key': 'k',
    'src/main.c': 'int main(){}\n',
    'src/deep/x.bin': 'x'.repeat(5000),
    'src/deep/y': '',
  };
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
    writeFileSync(path.join(src, f), text);
  }
  chmodSync(path.join(src, 'src/main.c'), 0o4755);
  chmodSync(path.join(src, 'src/deep'), 0o700);
  chmodSync(path.join(src, 'a.txt'), 0o600);
  return src;
}

async function receive(tar: string, unpack = false, piece = 0): Promise<BuildContext> {
  const base = tmp();
  const dir = path.join(base, 'context');
  mkdirSync(dir, { mode: 0o755 });
  const body = piece ? Readable.from(pieces(readFileSync(tar), piece)) : createReadStream(tar);
  const { ctx } = await BuildContext.receive(body, dir, path.join(base, 'spool'), unpack);
  contexts.push(ctx);
  return ctx;
}

function pieces(b: Buffer, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += n) out.push(b.subarray(i, i + n));
  return out;
}

const PATTERNS = [
  ['.'],
  ['src'],
  ['src/'],
  ['a.txt'],
  ['src/*.c', 'a.txt'],
  ['sr*/deep'],
  ['src/deep/*'],
  ['k*'],
];

describe('the indexed build context', () => {
  it('gives the checksums the unpacked directory gives, without unpacking', async () => {
    const src = sample();
    const tar = path.join(tmp(), 'ctx.tar');
    // Directories after their files for one of them (src/deep listed last): implied, then its mode.
    execFileSync('tar', ['-cf', tar, '-C', src, '.dockerignore', 'Dockerfile', 'a.txt', 'b.log', 'keep.log']);
    execFileSync('tar', ['-rf', tar, '-C', src, '--no-recursion', 'src', 'src/main.c', 'src/deep/x.bin']);
    execFileSync('tar', [
      '-rf',
      tar,
      '-C',
      src,
      '--no-recursion',
      'src/deep/y',
      'src/deep',
      'secret',
      'secret/key',
    ]);
    const ctx = await receive(tar);
    expect((await ctx.readDockerfile('Dockerfile')).text).toBe('FROM scratch\n');
    await ctx.applyDockerignore();
    const indexed = [];
    for (const p of PATTERNS) indexed.push(await ctx.sources(p, 'COPY'));
    expect(ctx.isUnpacked).toBe(false);
    const dir = await ctx.directory();
    expect(readdirSync(dir).sort()).toEqual(['.dockerignore', 'Dockerfile', 'a.txt', 'keep.log', 'src']);
    for (const [i, p] of PATTERNS.entries())
      expect(indexed[i]).toEqual(await findSources(dir, p, 'COPY', true));
    await expect(ctx.sources(['b.log'], 'COPY')).rejects.toThrow(/file not found in build context/);
    await expect(ctx.sources(['../x'], 'COPY')).rejects.toThrow(/outside the build context/);
  });

  it('indexes the tar as it arrives, in pieces of any size', async () => {
    const src = sample();
    const tar = path.join(tmp(), 'ctx.tar');
    execFileSync('tar', ['-cf', tar, '-C', src, '.']);
    const whole = await receive(tar);
    for (const piece of [7, 333, 512, 4096]) {
      const ctx = await receive(tar, false, piece);
      expect(ctx.isUnpacked).toBe(false);
      for (const p of PATTERNS) expect(await ctx.sources(p, 'COPY')).toEqual(await whole.sources(p, 'COPY'));
    }
  });

  it('unpacks while receiving for a --no-cache build, .dockerignore applied to the files', async () => {
    const src = sample();
    const tar = path.join(tmp(), 'ctx.tar');
    execFileSync('tar', ['-cf', tar, '-C', src, '.']);
    const ctx = await receive(tar, true);
    expect(ctx.isUnpacked).toBe(true);
    await ctx.applyDockerignore();
    const dir = await ctx.directory();
    expect(readdirSync(dir).sort()).toEqual(['.dockerignore', 'Dockerfile', 'a.txt', 'keep.log', 'src']);
    for (const p of PATTERNS)
      expect(await ctx.sources(p, 'COPY')).toEqual(await findSources(dir, p, 'COPY', true));
  });

  it('unpacks a tar with links at once, through the confined extractor', async () => {
    const src = sample();
    symlinkSync('/etc/passwd', path.join(src, 'abs-link'));
    symlinkSync('../../..', path.join(src, 'src/up'));
    const tar = path.join(tmp(), 'ctx.tar');
    execFileSync('tar', ['-cf', tar, '-C', src, '.']);
    const ctx = await receive(tar);
    expect(ctx.isUnpacked).toBe(true);
    await ctx.applyDockerignore();
    const dir = await ctx.directory();
    const got = await ctx.sources(['src/up/a.txt'], 'COPY');
    expect(got[0].rel).toBe('a.txt');
    expect(existsSync(path.join(dir, 'src/main.c'))).toBe(true);
  });

  it('refuses a tar whose names climb out of the context', async () => {
    const src = tmp();
    mkdirSync(path.join(src, 'a'));
    writeFileSync(path.join(src, 'x'), 'x');
    const tar = path.join(tmp(), 'ctx.tar');
    execFileSync('tar', ['-cf', tar, '-C', src, '--transform', 's,^x$,../../x,', '-P', 'x']);
    await expect(receive(tar)).rejects.toThrow(/failed to read the build context/);
  });
});
