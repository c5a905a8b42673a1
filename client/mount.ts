// Mounting what the Snapshots service returns, with mount(8). Long overlay lowerdir lists are made
// relative to their common parent (mount runs there) so deep images stay under the page-size limit.
// `withTempMount` mounts on a fresh temporary directory for the length of one function.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MountSpec {
  type: string;
  source: string;
  options: string[];
}

const LIMIT = 4096 - 512;

function compact(options: string[]): { options: string[]; cwd?: string } {
  if (options.join(',').length < LIMIT) return { options };
  const lower = options.find((o) => o.startsWith('lowerdir='));
  if (!lower) return { options };
  const dirs = lower.slice('lowerdir='.length).split(':');
  let common = path.dirname(dirs[0]);
  while (!dirs.every((d) => d.startsWith(`${common}/`)) && common !== '/') common = path.dirname(common);
  const rel = (d: string) => path.relative(common, d);
  const next = options.map((o) => {
    if (o.startsWith('lowerdir=')) return `lowerdir=${dirs.map(rel).join(':')}`;
    if (o.startsWith('upperdir=') || o.startsWith('workdir=')) {
      const [k, v] = [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)];
      return v.startsWith(`${common}/`) ? `${k}=${rel(v)}` : o;
    }
    return o;
  });
  return { options: next, cwd: common };
}

export async function mountOne(m: MountSpec, target: string): Promise<void> {
  const target_ = path.resolve(target);
  if (m.type === 'bind' || m.type === 'rbind') {
    const ro = m.options.includes('ro');
    const flags = m.options.filter((o) => o !== 'ro' && o !== 'rw' && o !== 'rbind' && o !== 'bind');
    await run('mount', ['--rbind', ...(flags.length ? ['-o', flags.join(',')] : []), m.source, target_]);
    if (ro) await run('mount', ['-o', 'remount,bind,ro', target_]);
    return;
  }
  const { options, cwd } = compact(m.options);
  await run(
    'mount',
    ['-t', m.type, m.source, target_, ...(options.length ? ['-o', options.join(',')] : [])],
    cwd ? { cwd } : {},
  );
}

export async function mountAll(mounts: MountSpec[], target: string): Promise<void> {
  for (const m of mounts) await mountOne(m, target);
}

/** The same mounts, read-only. */
export function readOnly(mounts: MountSpec[]): MountSpec[] {
  return mounts.map((m) => {
    const options = m.options.map((x) => (x === 'rw' ? 'ro' : x));
    return { ...m, options: options.includes('ro') ? options : ['ro', ...options] };
  });
}

/** Is `dir` a mount point (of this process's mount namespace)? */
export function isMountPoint(dir: string): boolean {
  const real = realpathSync(dir);
  const decode = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line && decode(line.split(' ')[4] ?? '') === real);
}

/** Unmounts everything stacked on `dir` (lazily where a plain unmount is refused). */
export async function unmountAll(dir: string): Promise<void> {
  for (let i = 0; i < 64 && isMountPoint(dir); i++) {
    await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
  }
  if (isMountPoint(dir)) throw new Error(`${dir} is still mounted`);
}

export interface TempMountOptions {
  /** Mount read-only. */
  readonly?: boolean;
  /** Prefix of the temporary directory's name (under the OS temp dir). */
  prefix?: string;
}

/**
 * Mounts `mounts` on a new temporary directory, runs `fn` on it, then always unmounts and removes the
 * directory. The directory is removed only once nothing is mounted on it (never recursively), so a
 * failed unmount can not delete what the mount shows.
 */
export async function withTempMount<T>(
  mounts: MountSpec[],
  fn: (dir: string) => Promise<T>,
  opts: TempMountOptions = {},
): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), opts.prefix ?? 'tsctr-mount-'));
  let result: T;
  try {
    await mountAll(opts.readonly ? readOnly(mounts) : mounts, dir);
    result = await fn(dir);
  } catch (e) {
    await unmountAll(dir)
      .then(() => rmdirSync(dir))
      .catch(() => undefined);
    throw e;
  }
  await unmountAll(dir);
  rmdirSync(dir);
  return result;
}
