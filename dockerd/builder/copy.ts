// COPY and ADD: sources found in a root (the context, or a stage's image mounted read-only), their
// content checksums for the cache (tarsum-like: name, mode, type, size, link target and content —
// never the mtime), and the copy itself into a mounted snapshot, through the confined tar packer and
// extractor of pkg/archive (a symlink in the context can never lead outside it).
import { createHash } from 'node:crypto';
import {
  type Stats,
  chownSync,
  createReadStream,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { extractInto, resolveInRoot } from '../archive/index.js';
import { readUserDb } from '../../client/spec/index.js';
import { InvalidParameter } from '../errdefs/index.js';
import { decompress, looksLikeTar, peek } from './context.js';
import { copyTree } from './tree-copy.js';

export interface Source {
  /** As written (for messages). */
  orig: string;
  /** Path relative to its root, resolved (symlinks followed inside the root). */
  rel: string;
  isDir: boolean;
  hash: string;
}

export const GLOB = /[*?[]/;

/** Go's filepath.Match for one path segment, as a RegExp. */
export function segmentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new InvalidParameter(`syntax error in pattern: ${pattern}`);
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('^')) body = `!${body.slice(1)}`;
      re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Relative paths under `root` matching a wildcard pattern (segment by segment). */
function glob(root: string, pattern: string): string[] {
  let found = [''];
  for (const seg of pattern.split('/').filter((s) => s && s !== '.')) {
    const next: string[] = [];
    for (const dir of found) {
      const abs = path.join(root, dir);
      if (!GLOB.test(seg)) {
        if (lstatSync(path.join(abs, seg), { throwIfNoEntry: false })) next.push(dir ? `${dir}/${seg}` : seg);
        continue;
      }
      let names: string[] = [];
      try {
        if (statSync(abs).isDirectory()) names = readdirSync(abs).sort();
      } catch {
        names = [];
      }
      const re = segmentRegExp(seg);
      for (const n of names) if (re.test(n)) next.push(dir ? `${dir}/${n}` : n);
    }
    found = next;
  }
  return found;
}

const SMALL = 4 << 20;

/** What a checksum covers besides the content (tarsum-like; never the mtime nor the owner). */
export function hashHeader(name: string, mode: number, size: number, type: string, link: string): string {
  return `name${name}mode${(mode & 0o7777).toString(8)}uid0gid0size${size}typeflag${type}linkname${link}uname gname devmajor0devminor0`;
}

async function fileHash(abs: string, name: string, st: Stats): Promise<string> {
  const h = createHash('sha256');
  const type = st.isSymbolicLink() ? '2' : st.isDirectory() ? '5' : '0';
  const link = st.isSymbolicLink() ? readlinkSync(abs) : '';
  h.update(hashHeader(name, st.mode, st.isFile() ? st.size : 0, type, link));
  if (st.isFile()) {
    // Small files (most of a context) in one read: a stream per file costs more than the hashing.
    if (st.size <= SMALL) h.update(readFileSync(abs));
    else for await (const c of createReadStream(abs)) h.update(c as Buffer);
  }
  return h.digest('hex');
}

async function treeHash(abs: string, name: string, st = lstatSync(abs)): Promise<string> {
  if (!st.isDirectory()) return fileHash(abs, name, st);
  const parts = [await fileHash(abs, name, st)];
  for (const e of readdirSync(abs).sort()) {
    const child = path.join(abs, e);
    parts.push(await treeHash(child, `${name}/${e}`, lstatSync(child)));
  }
  return createHash('sha256').update(parts.join(',')).digest('hex');
}

/**
 * The sources named by `patterns` under `root` (wildcards expanded), with their checksums. `what`
 * is the instruction (COPY/ADD) for Docker's messages; `fromContext` decides the "outside" rule.
 */
export async function findSources(
  root: string,
  patterns: string[],
  what: string,
  fromContext: boolean,
): Promise<Source[]> {
  const out: Source[] = [];
  for (const orig of patterns) {
    const clean = path.posix.normalize(orig.replace(/^\/+/, '') || '.');
    if (fromContext && (clean === '..' || clean.startsWith('../')))
      throw new InvalidParameter(`${what} failed: forbidden path outside the build context: ${orig} ()`);
    const rels = GLOB.test(clean) ? glob(root, clean) : [clean];
    if (GLOB.test(clean) && rels.length === 0) continue;
    for (const rel of rels) {
      const host = await resolveInRoot(root, rel);
      const st = lstatSync(host, { throwIfNoEntry: false });
      if (!st) {
        if (fromContext)
          throw new InvalidParameter(
            `${what} failed: file not found in build context or excluded by .dockerignore: stat ${orig}: file does not exist`,
          );
        throw new InvalidParameter(`${what} failed: stat ${orig}: file does not exist`);
      }
      const resolved = path.relative(root, host) || '.';
      const hash = st.isDirectory()
        ? `dir:${await treeHash(host, '')}`
        : `file:${await treeHash(host, path.basename(rel))}`;
      out.push({ orig, rel: resolved, isDir: st.isDirectory(), hash });
    }
  }
  if (out.length === 0) throw new InvalidParameter(`${what} failed: no source files were specified`);
  return out;
}

/** Docker's source description in the cache/history comment: `file:<hex>`, `dir:<hex>`, `multi:<hex>`. */
export function sourcesHash(sources: Source[]): string {
  if (sources.length === 1) return sources[0].hash;
  return `multi:${createHash('sha256')
    .update(sources.map((s) => s.hash).join(','))
    .digest('hex')}`;
}

/** `--chown=user:group` resolved in the destination root (numbers as they are). */
export async function resolveChown(
  root: string,
  spec: string | undefined,
): Promise<{ uid: number; gid: number }> {
  if (!spec) return { uid: 0, gid: 0 };
  const [u, g] = spec.split(':');
  const db = /^\d+$/.test(u) && (g === undefined || /^\d+$/.test(g)) ? {} : await readUserDb(root);
  const user = /^\d+$/.test(u) ? undefined : db.passwd?.find((p) => p.name === u);
  if (!/^\d+$/.test(u) && !user)
    throw new InvalidParameter(
      `unable to convert uid/gid chown string to host mapping: can't find uid for user ${u}: no such user: ${u}`,
    );
  const uid = user ? user.uid : Number(u);
  let gid = user ? user.gid : uid;
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const grp = db.group?.find((x) => x.name === g);
      if (!grp)
        throw new InvalidParameter(
          `unable to convert uid/gid chown string to host mapping: can't find gid for group ${g}: no such group: ${g}`,
        );
      gid = grp.gid;
    }
  }
  return { uid, gid };
}

/** Makes `dir` (a container path) and its missing parents inside `root`; the host path. */
async function ensureDir(root: string, dir: string, owner: { uid: number; gid: number }): Promise<string> {
  const host = await resolveInRoot(root, dir);
  const st = lstatSync(host, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new InvalidParameter(`cannot copy to non-directory: ${dir}`);
  if (!st) {
    mkdirSync(host, { recursive: true, mode: 0o755 });
    if (owner.uid !== 0 || owner.gid !== 0) chownSync(host, owner.uid, owner.gid);
  }
  return host;
}

export interface CopyJob {
  srcRoot: string;
  sources: Source[];
  /** Absolute container path; a trailing "/" means a directory. */
  dest: string;
  chown: { uid: number; gid: number };
  /** ADD: local archives are extracted. */
  extractArchives: boolean;
  what: string;
}

async function isArchive(abs: string): Promise<boolean> {
  try {
    const { head, stream } = await peek(await decompress(createReadStream(abs)), 512);
    stream.destroy();
    return looksLikeTar(head);
  } catch {
    return false;
  }
}

/** Copies the sources into the mounted root `dstRoot`. */
export async function copyInto(dstRoot: string, job: CopyJob): Promise<void> {
  const destIsDir =
    job.dest.endsWith('/') ||
    job.sources.length > 1 ||
    lstatSync(await resolveInRoot(dstRoot, job.dest), { throwIfNoEntry: false })?.isDirectory() === true;
  if (job.sources.length > 1 && !job.dest.endsWith('/'))
    throw new InvalidParameter(
      `When using ${job.what} with more than one source file, the destination must be a directory and end with a /`,
    );
  for (const s of job.sources) {
    const abs = path.join(job.srcRoot, s.rel);
    if (s.isDir) {
      await ensureDir(dstRoot, job.dest, job.chown);
      copyTree(abs, dstRoot, job.dest, undefined, job.chown);
      continue;
    }
    if (job.extractArchives && (await isArchive(abs))) {
      await ensureDir(dstRoot, job.dest, job.chown);
      await extractInto(dstRoot, job.dest, await decompress(createReadStream(abs)));
      continue;
    }
    if (destIsDir) {
      await ensureDir(dstRoot, job.dest, job.chown);
      copyTree(abs, dstRoot, job.dest, path.basename(s.rel), job.chown);
      continue;
    }
    // A file to a file name: made in its parent directory under that name.
    const parent = path.posix.dirname(job.dest);
    await ensureDir(dstRoot, parent, { uid: 0, gid: 0 });
    copyTree(abs, dstRoot, parent, path.posix.basename(job.dest), job.chown);
  }
}
