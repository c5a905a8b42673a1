// The build context's pieces: the request body (a tar, plain or gzip/bzip2/xz compressed, or a
// Dockerfile alone) decompressed and recognised; on disk (build-context.ts unpacks it with
// pkg/archive's confined extractor when a step needs its files) filtered with .dockerignore
// (@balena/dockerignore: Docker's matching).
import { spawn } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import dockerignore, { type Ignore } from '@balena/dockerignore';
import { resolveInRoot } from '../archive/index.js';
import { InvalidParameter } from '../errdefs/index.js';

/** The package is CommonJS with a `default` property; under NodeNext its default import is the module. */
const createIgnore = (dockerignore as unknown as { default: () => Ignore }).default;

const MAGIC: Array<[Buffer, string[] | 'gzip']> = [
  [Buffer.from([0x1f, 0x8b]), 'gzip'],
  [Buffer.from('BZh'), ['bzip2', '-dc']],
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), ['xz', '-dc']],
];

/** Reads at least `n` bytes (or all there is) of `input`; returns them and a stream of everything. */
export async function peek(input: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = input[Symbol.asyncIterator]();
  let done = false;
  while (size < n) {
    const r = (await it.next()) as IteratorResult<Buffer>;
    if (r.done) {
      done = true;
      break;
    }
    chunks.push(r.value);
    size += r.value.length;
  }
  const head = Buffer.concat(chunks);
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  out.write(head);
  if (done) out.end();
  else {
    void (async () => {
      try {
        for (;;) {
          const r = (await it.next()) as IteratorResult<Buffer>;
          if (r.done) break;
          if (!out.write(r.value)) await new Promise((res) => out.once('drain', res));
        }
        out.end();
      } catch (err) {
        out.destroy(err as Error);
      }
    })();
  }
  return { head, stream: out };
}

/** The stream decompressed when it starts with a gzip, bzip2 or xz signature (as moby's DecompressStream). */
export async function decompress(input: Readable): Promise<Readable> {
  const { head, stream } = await peek(input, 6);
  for (const [magic, how] of MAGIC) {
    if (head.length < magic.length || !head.subarray(0, magic.length).equals(magic)) continue;
    if (how === 'gzip') return stream.pipe(createGunzip()).on('error', () => undefined);
    const child = spawn(how[0], how.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
    stream.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    const out = new PassThrough();
    child.stdout.pipe(out);
    child.on('error', (err) => out.destroy(err));
    child.on('exit', (code) => {
      if (code !== 0)
        out.destroy(new InvalidParameter(`${how[0]}: cannot decompress the build context (exit ${code})`));
    });
    return out;
  }
  return stream;
}

/** A tar starts with a header block whose checksum field matches its bytes. */
export function looksLikeTar(head: Buffer): boolean {
  if (head.length < 512) return false;
  const b = head.subarray(0, 512);
  const field = b
    .subarray(148, 156)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : b[i];
  return sum === parseInt(field, 8);
}

/**
 * The tar with its last block padded and an end-of-archive marker added: the CLI's `-f -` context
 * (its Dockerfile added by a tar rewriter that is never closed) stops right after the last file's
 * data. Zeros after a real end marker are ignored by the reader.
 */
export function terminated(tar: Readable): Readable {
  let size = 0;
  return tar.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        cb(null, chunk);
      },
      flush(cb) {
        cb(null, Buffer.alloc(((512 - (size % 512)) % 512) + 1024));
      },
    }),
  );
}

/** moby's dockerignore.ReadAll: lines, comments and blanks skipped, trimmed, cleaned. */
export function readIgnorePatterns(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let p = raw.trim();
    if (!p || p.startsWith('#')) continue;
    let neg = '';
    if (p.startsWith('!')) {
      neg = '!';
      p = p.slice(1).trim();
    }
    p = path.posix.normalize(p).replace(/^\/+/, '').replace(/\/+$/, '');
    if (p === '' || p === '.') continue;
    out.push(neg + p);
  }
  return out;
}

/** Removes from `dir` what `.dockerignore` excludes (its own file and the Dockerfile included when matched). */
export function applyDockerignore(dir: string): void {
  let text: string;
  try {
    text = readFileSync(path.join(dir, '.dockerignore'), 'utf8');
  } catch {
    return;
  }
  const patterns = readIgnorePatterns(text);
  if (patterns.length === 0) return;
  const ig = createIgnore().add(patterns);
  const walk = (rel: string): void => {
    const abs = path.join(dir, rel);
    for (const name of readdirSync(abs)) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path.join(dir, r));
      if (st.isDirectory()) {
        walk(r);
        if (ig.ignores(r) && readdirSync(path.join(dir, r)).length === 0) rmdirSync(path.join(dir, r));
      } else if (ig.ignores(r)) {
        rmSync(path.join(dir, r), { force: true });
      }
    }
  };
  walk('');
}

/** The Dockerfile's text: `name` inside the context (falling back to `dockerfile` for the default). */
export async function readDockerfile(dir: string, name: string): Promise<{ text: string; rel: string }> {
  const tryRead = async (n: string): Promise<string | undefined> => {
    try {
      // A name the filesystem refuses (ENAMETOOLONG…) is a missing Dockerfile too (a 500 before).
      const p = await resolveInRoot(dir, n);
      if (!lstatSync(p).isFile()) return undefined;
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  };
  let text = await tryRead(name);
  let rel = name;
  if (text === undefined && name === 'Dockerfile') {
    text = await tryRead('dockerfile');
    rel = 'dockerfile';
  }
  // The request names a file the context lacks: its fault, a 400 (classic moby answered 500).
  if (text === undefined) throw new InvalidParameter(`Cannot locate specified Dockerfile: ${name}`);
  return { text, rel: path.posix.normalize(rel).replace(/^\/+/, '') };
}

export function readIgnoreText(dir: string): string | undefined {
  try {
    return readFileSync(path.join(dir, '.dockerignore'), 'utf8');
  } catch {
    return undefined;
  }
}
