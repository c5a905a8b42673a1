// A typed handle on one snapshotter of tsctrd's Snapshots service: the calls a client makes on
// snapshots, with the snapshotter's name bound once, and `withTempMount` for a snapshot's files.
import type { Mount } from '../api/gen/containerd/types/mount.js';
import type { Info, UsageResponse } from '../api/gen/containerd/services/snapshots/v1/snapshots.js';
import { Kind } from '../api/gen/containerd/services/snapshots/v1/snapshots.js';
import type { Connection } from './connection.js';
import { type TempMountOptions, withTempMount } from './mount.js';

export { Kind };
export type { Info as SnapshotInfo, Mount };
export type SnapshotUsage = UsageResponse;

/** The snapshotter tsctrd, tsctr and tsctr-dockerd use unless told otherwise. */
export const DEFAULT_SNAPSHOTTER = 'overlayfs';

export class Snapshotter {
  constructor(
    private readonly c: Connection,
    readonly name: string = DEFAULT_SNAPSHOTTER,
  ) {}

  /** An active (writable) snapshot `key` on `parent` ('' for an empty one); its mounts. */
  async prepare(key: string, parent = '', labels: Record<string, string> = {}): Promise<Mount[]> {
    const c = this.c;
    return (await c.call(c.snapshots, c.snapshots.prepare, { snapshotter: this.name, key, parent, labels }))
      .mounts;
  }

  /** A read-only view `key` of `parent`; its mounts. */
  async view(key: string, parent = '', labels: Record<string, string> = {}): Promise<Mount[]> {
    const c = this.c;
    return (await c.call(c.snapshots, c.snapshots.view, { snapshotter: this.name, key, parent, labels }))
      .mounts;
  }

  async mounts(key: string): Promise<Mount[]> {
    const c = this.c;
    return (await c.call(c.snapshots, c.snapshots.mounts, { snapshotter: this.name, key })).mounts;
  }

  /** Commits the active snapshot `key` as `name`. */
  async commit(name: string, key: string, labels: Record<string, string> = {}): Promise<void> {
    const c = this.c;
    await c.call(c.snapshots, c.snapshots.commit, { snapshotter: this.name, name, key, labels });
  }

  async remove(key: string): Promise<void> {
    const c = this.c;
    await c.call(c.snapshots, c.snapshots.remove, { snapshotter: this.name, key });
  }

  async stat(key: string): Promise<Info> {
    const c = this.c;
    return (await c.call(c.snapshots, c.snapshots.stat, { snapshotter: this.name, key })).info!;
  }

  /** Updates the fields named in `paths` (e.g. `labels.x`; none: labels) of `info`. */
  async update(info: Info, paths: string[] = []): Promise<Info> {
    const c = this.c;
    return (
      await c.call(c.snapshots, c.snapshots.update, { snapshotter: this.name, info, updateMask: paths })
    ).info!;
  }

  async usage(key: string): Promise<SnapshotUsage> {
    const c = this.c;
    return c.call(c.snapshots, c.snapshots.usage, { snapshotter: this.name, key });
  }

  /** Every snapshot matching `filters` (containerd's filter syntax; none: all). */
  async walk(filters: string[] = []): Promise<Info[]> {
    const c = this.c;
    const batches = await c.collect(c.snapshots.list({ snapshotter: this.name, filters }, c.metadata()));
    return batches.flatMap((b) => b.info);
  }

  async cleanup(): Promise<void> {
    const c = this.c;
    await c.call(c.snapshots, c.snapshots.cleanup, { snapshotter: this.name });
  }

  /** Mounts snapshot `key` on a temporary directory for the length of `fn` (see `withTempMount`). */
  async withTempMount<T>(
    key: string,
    fn: (dir: string) => Promise<T>,
    opts: TempMountOptions = {},
  ): Promise<T> {
    return withTempMount(await this.mounts(key), fn, opts);
  }
}
