// A snapshotter as its users see it: one named snapshotter in one namespace. The local store (bound
// here with `localSnapshotter`) and the gRPC proxy over tsctrd both offer this shape, so one
// conformance suite (testsuite.ts) can run against each of them.
import type { Labels } from '../metadata/labels.js';
import type { Mount } from './backend.js';
import type { SnapshotInfo, SnapshotStore } from './store.js';

export interface SnapshotUsage {
  size: number;
  inodes: number;
}

export interface Snapshotter {
  stat(key: string): Promise<SnapshotInfo>;
  /** Applies `labels` under the field mask `fieldpaths` (`labels`, `labels.<key>`; none = replace). */
  update(key: string, labels: Labels, fieldpaths?: string[]): Promise<SnapshotInfo>;
  usage(key: string): Promise<SnapshotUsage>;
  mounts(key: string): Promise<Mount[]>;
  prepare(key: string, parent?: string, labels?: Labels): Promise<Mount[]>;
  view(key: string, parent?: string, labels?: Labels): Promise<Mount[]>;
  commit(name: string, key: string, labels?: Labels): Promise<void>;
  remove(key: string): Promise<void>;
  /** Every snapshot matching any of the filters (containerd's filter syntax; none = all). */
  walk(filters?: string[]): AsyncIterable<SnapshotInfo>;
}

/** The store's snapshotter `name`, seen from namespace `ns`. */
export function localSnapshotter(store: SnapshotStore, ns: string, name: string): Snapshotter {
  return {
    stat: (key) => store.stat(ns, name, key),
    update: (key, labels, fieldpaths = []) => store.update(ns, name, key, labels, fieldpaths),
    usage: (key) => store.usage(ns, name, key),
    mounts: (key) => store.mounts(ns, name, key),
    prepare: (key, parent = '', labels = {}) => store.prepare(ns, name, key, parent, labels),
    view: (key, parent = '', labels = {}) => store.view(ns, name, key, parent, labels),
    commit: (n, key, labels = {}) => store.commit(ns, name, n, key, labels),
    remove: (key) => store.remove(ns, name, key),
    walk: (filters = []) => store.list(ns, name, filters),
  };
}
