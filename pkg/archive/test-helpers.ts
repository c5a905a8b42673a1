// Shared by the archive tests: temp roots with a sentinel directory beside them, tars written by
// tar-stream, and reading tars back.
import { spawn } from 'node:child_process';
import { promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { extract, type Header, pack } from 'tar-stream';

export interface Sandbox {
  /** Temp dir holding everything below. */
  base: string;
  /** The container root. */
  root: string;
  /** Outside the root: must stay empty whatever the tests do. */
  sentinel: string;
  cleanup(): Promise<void>;
}

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `tsctr-archive-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

export async function sandbox(): Promise<Sandbox> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'tsctr-archive-'));
  const root = path.join(base, 'root');
  const sentinel = path.join(base, 'sentinel');
  await fs.mkdir(root);
  await fs.mkdir(sentinel);
  return { base, root, sentinel, cleanup: () => fs.rm(base, { recursive: true, force: true }) };
}

export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

export type TarSpec = Partial<Header> & {
  name: string;
  content?: string | Buffer;
  pax?: Record<string, string>;
};

/** A tar written by tar-stream (an independent writer). */
export async function buildTar(entries: TarSpec[]): Promise<Buffer> {
  const p = pack();
  const out: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of p) out.push(chunk as Buffer);
  })();
  const mtime = new Date(1_600_000_000_000);
  for (const { content, ...h } of entries) {
    const header = { mtime, uid: 0, gid: 0, ...h };
    const body = content ?? (h.type === undefined || h.type === 'file' ? '' : undefined);
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body === undefined) p.entry(header, cb);
      else p.entry(header, body, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(out);
}

/** A Node stream of `b` in small chunks (to exercise chunk boundaries). */
export function streamOf(b: Buffer, chunk = 3001): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += chunk) parts.push(b.subarray(i, i + chunk));
  return Readable.from(parts, { objectMode: false });
}

export interface ReadEntry {
  header: Header;
  content: Buffer;
}

/** All entries of a tar stream, in order. */
export async function readTar(stream: Readable): Promise<ReadEntry[]> {
  const ex = extract();
  const entries: ReadEntry[] = [];
  stream.on('error', (err) => ex.destroy(err));
  stream.pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    entries.push({ header: entry.header, content: Buffer.concat(chunks) });
  }
  return entries;
}

/**
 * Starts a process that keeps swapping `dir` (a directory) with `link` (a symlink) under `root`, as a
 * hostile container would while the daemon works on its files. Stop it with the returned function.
 */
export function startSwapper(root: string, dir: string, link: string): () => Promise<void> {
  const script = `
    const fs = require('fs'); const p = require('path');
    const [root, dir, link] = process.argv.slice(1);
    const d = p.join(root, dir), l = p.join(root, link), t = p.join(root, '.swap-tmp');
    for (;;) {
      try { fs.renameSync(d, t); } catch {}
      try { fs.renameSync(l, d); } catch {}
      try { fs.renameSync(d, l); } catch {}
      try { fs.renameSync(t, d); } catch {}
    }`;
  const child = spawn(process.execPath, ['-e', script, root, dir, link], { stdio: 'ignore' });
  return () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
}
