// Where snapshot bytes live. A backend owns directories `<root>/snapshots/<id>/` and knows how to
// lay out a new snapshot and which mounts expose it; the metadata lives in the SnapshotStore.
import { existsSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type SnapshotKind = 'view' | 'active' | 'committed';

export interface Mount {
  type: string;
  source: string;
  target: string;
  options: string[];
}

export interface SnapshotBackend {
  readonly name: string;
  readonly root: string;
  /** The directory holding every snapshot's directories (mount paths must lie below it). */
  readonly snapshotsDir: string;
  /** Creates the directories of a new snapshot `id` on top of `parents` (nearest first). */
  create(id: string, kind: SnapshotKind, parents: string[]): Promise<void>;
  /** The mounts that show snapshot `id` (with its parents, nearest first). */
  mounts(id: string, kind: SnapshotKind, parents: string[]): Mount[];
  /** The directory holding the snapshot's own files. */
  fsDir(id: string): string;
  /** Ids of every snapshot directory on disk. */
  ids(): Promise<string[]>;
  /** Moves a snapshot's directories aside (fast); `purge` deletes what was moved aside. */
  remove(id: string): Promise<void>;
  purge(): Promise<void>;
}

abstract class DirBackend {
  readonly snapshotsDir: string;

  constructor(readonly root: string) {
    this.snapshotsDir = path.join(root, 'snapshots');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.snapshotsDir, { recursive: true, mode: 0o700 });
  }

  fsDir(id: string): string {
    return path.join(this.snapshotsDir, id, 'fs');
  }

  async ids(): Promise<string[]> {
    return (await fs.readdir(this.snapshotsDir)).filter((n) => /^\d+$/.test(n));
  }

  /** A rename to `rm-<id>` (instant, so the GC holds its lock briefly); `purge` deletes later. */
  async remove(id: string): Promise<void> {
    await fs
      .rename(path.join(this.snapshotsDir, id), path.join(this.snapshotsDir, `rm-${id}`))
      .catch(() => undefined);
  }

  /** Deletes what `remove` moved aside, and leftovers of creates interrupted by a crash. */
  async purge(): Promise<void> {
    for (const n of await fs.readdir(this.snapshotsDir)) {
      if (n.startsWith('rm-') || (n.startsWith('new-') && !n.endsWith(`-${process.pid}`))) {
        await fs.rm(path.join(this.snapshotsDir, n), { recursive: true, force: true, maxRetries: 3 });
      }
    }
  }

  protected async staged(id: string, fill: (dir: string) => Promise<void>): Promise<void> {
    const tmp = path.join(this.snapshotsDir, `new-${id}-${process.pid}`);
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.mkdir(tmp, { mode: 0o700 });
    try {
      await fill(tmp);
      await fs.rename(tmp, path.join(this.snapshotsDir, id));
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }
}

/** overlayfs: each snapshot is an upper dir; parents are stacked as lower dirs. */
export class OverlayBackend extends DirBackend implements SnapshotBackend {
  readonly name = 'overlayfs';
  private readonly indexOff = existsSync('/sys/module/overlay/parameters/index');

  async create(id: string, kind: SnapshotKind, _parents: string[]): Promise<void> {
    await this.staged(id, async (dir) => {
      await fs.mkdir(path.join(dir, 'fs'), { mode: 0o755 });
      if (kind === 'active') await fs.mkdir(path.join(dir, 'work'), { mode: 0o700 });
    });
  }

  mounts(id: string, kind: SnapshotKind, parents: string[]): Mount[] {
    const own = this.fsDir(id);
    if (parents.length === 0 || (kind !== 'active' && parents.length === 0)) {
      return [{ type: 'bind', source: own, target: '', options: [kind === 'active' ? 'rw' : 'ro', 'rbind'] }];
    }
    if (kind === 'view' && parents.length === 1) {
      return [{ type: 'bind', source: this.fsDir(parents[0]), target: '', options: ['ro', 'rbind'] }];
    }
    const opts = this.indexOff ? ['index=off'] : [];
    if (kind === 'active') {
      opts.push(`workdir=${path.join(this.snapshotsDir, id, 'work')}`, `upperdir=${own}`);
      opts.push(`lowerdir=${parents.map((p) => this.fsDir(p)).join(':')}`);
    } else {
      const lowers = kind === 'committed' ? [id, ...parents] : parents;
      opts.push(`lowerdir=${lowers.map((p) => this.fsDir(p)).join(':')}`);
    }
    return [{ type: 'overlay', source: 'overlay', target: '', options: opts }];
  }
}

/** The fallback where overlay cannot mount: every snapshot is a full copy of its parent. */
export class NativeBackend extends DirBackend implements SnapshotBackend {
  readonly name = 'native';

  async create(id: string, _kind: SnapshotKind, parents: string[]): Promise<void> {
    await this.staged(id, async (dir) => {
      const fsd = path.join(dir, 'fs');
      if (parents.length === 0) await fs.mkdir(fsd, { mode: 0o755 });
      else await run('cp', ['-a', '--reflink=auto', this.fsDir(parents[0]), fsd]);
    });
  }

  mounts(id: string, kind: SnapshotKind, parents: string[]): Mount[] {
    const src = kind === 'view' && parents.length > 0 ? this.fsDir(parents[0]) : this.fsDir(id);
    return [{ type: 'bind', source: src, target: '', options: [kind === 'active' ? 'rw' : 'ro', 'rbind'] }];
  }
}

/** Bytes and inodes used below a directory (what Usage reports). */
export async function diskUsage(dir: string): Promise<{ size: number; inodes: number }> {
  let size = 0;
  let inodes = 0;
  const seen = new Set<string>();
  async function walk(d: string): Promise<void> {
    const entries = await fs.readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(d, e.name);
      const st = await fs.lstat(p).catch(() => undefined);
      if (!st) continue;
      const k = `${st.dev}:${st.ino}`;
      if (seen.has(k)) continue;
      seen.add(k);
      inodes++;
      size += st.blocks * 512;
      if (st.isDirectory()) await walk(p);
    }
  }
  await walk(dir);
  return { size, inodes };
}
