// Shared by the diff tests: temp dirs, tars built with tar-stream, tree snapshots, overlay mounts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { devMajor, devMinor } from '../../pkg/sys/mknod.js';
import { lgetxattr, llistxattr } from '../../pkg/sys/xattr.js';

export { type TarSpec, buildTar, removeDir, tempDir } from '../../pkg/archive/test-helpers.js';

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
