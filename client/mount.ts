// Mounting what the Snapshots service returns, with mount(8). Long overlay lowerdir lists are made
// relative to their common parent (mount runs there) so deep images stay under the page-size limit.
import { execFile } from 'node:child_process';
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
