// Shared by the diff tests: temp dirs, tars built with tar-stream, tree snapshots, overlay mounts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { devMajor, devMinor, lgetxattr, llistxattr } from './syscalls.js';

export type TarSpec = Partial<tar.Header> & {
  name: string;
  content?: string | Buffer;
  pax?: Record<string, string>;
};

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `tsctr-diff-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/** A tar made by tar-stream (an independent writer), ending in its two zero blocks. */
export async function buildTar(entries: TarSpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const out: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) out.push(chunk as Buffer);
  })();
  const mtime = new Date(1_600_000_000_000);
  for (const { content, ...h } of entries) {
    const header = { mtime, uid: 0, gid: 0, ...h };
    const body = content ?? (h.type === undefined || h.type === 'file' ? '' : undefined);
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body === undefined) pack.entry(header, cb);
      else pack.entry(header, body, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(out);
}

export function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export function streamOf(b: Buffer, chunk = 7919): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += chunk) parts.push(b.subarray(i, i + chunk));
  return Readable.from(parts, { objectMode: false });
}

export async function collect(r: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(out);
}

/**
 * Everything observable about a tree: type, mode, owner, mtime, content hash, link target, device
 * numbers, xattrs and which names share an inode. Two equal snapshots mean equal trees.
 */
export async function snapshotTree(
  root: string,
  opts: { atime?: boolean; seconds?: boolean; skipRoot?: boolean } = {},
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const inodes = new Map<string, string>();
  const visit = async (rel: string): Promise<void> => {
    const abs = rel ? path.join(root, rel) : root;
    const st = await fs.lstat(abs, { bigint: true });
    const parts = [
      `mode=${st.mode.toString(8)}`,
      `uid=${st.uid}`,
      `gid=${st.gid}`,
      `mtime=${opts.seconds ? st.mtimeNs / 1_000_000_000n : st.mtimeNs}`,
      ...(opts.atime ? [`atime=${st.atimeNs}`] : []),
    ];
    if (st.isFile()) parts.push(`sha=${sha256(await fs.readFile(abs))}`);
    if (st.isSymbolicLink()) parts.push(`link=${await fs.readlink(abs)}`);
    if (st.isCharacterDevice() || st.isBlockDevice())
      parts.push(`dev=${devMajor(st.rdev)}:${devMinor(st.rdev)}`);
    for (const x of llistxattr(abs).sort()) parts.push(`xattr:${x}=${lgetxattr(abs, x)?.toString('hex')}`);
    if (!st.isDirectory() && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      if (!inodes.has(key)) inodes.set(key, rel);
      parts.push(`inode-of=${inodes.get(key)}`);
    }
    if (rel || !opts.skipRoot) out[rel || '.'] = parts.join(' ');
    if (st.isDirectory())
      for (const n of (await fs.readdir(abs)).sort()) await visit(rel ? `${rel}/${n}` : n);
  };
  await visit('');
  return out;
}

/** Mounts an overlay of `lowers` (nearest first) with `upper`, runs `fn` on the merged dir, unmounts. */
export async function withOverlay<T>(
  lowers: string[],
  upper: string,
  base: string,
  fn: (merged: string) => Promise<T>,
): Promise<T> {
  const work = path.join(base, 'work');
  const merged = path.join(base, 'merged');
  await fs.mkdir(work, { recursive: true });
  await fs.mkdir(merged, { recursive: true });
  const options = `lowerdir=${lowers.join(':')},upperdir=${upper},workdir=${work}`;
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', options, merged]);
  try {
    return await fn(merged);
  } finally {
    execFileSync('umount', [merged]);
  }
}
