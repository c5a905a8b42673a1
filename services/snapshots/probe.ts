// Does overlayfs mount here? Tried once at start with a throw-away lower/upper/work under root.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function overlayWorks(under: string): Promise<boolean> {
  const dir = path.join(under, `probe-${process.pid}`);
  const [lower, upper, work, merged] = ['l', 'u', 'w', 'm'].map((d) => path.join(dir, d));
  try {
    for (const d of [lower, upper, work, merged]) await fs.mkdir(d, { recursive: true });
    await run('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower},upperdir=${upper},workdir=${work}`,
      merged,
    ]);
    await run('umount', [merged]);
    return true;
  } catch {
    return false;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
