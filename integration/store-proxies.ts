// The Snapshotter and Content interfaces over tsctrd's gRPC services, through a client Connection:
// what the conformance suites run against to check the whole path (client → gRPC → store).
import type { Mount as MountMsg } from '../api/gen/containerd/types/mount.js';
import { type Info as SnapshotInfoMsg, Kind } from '../api/gen/containerd/services/snapshots/v1/snapshots.js';
import {
  type Info as ContentInfoMsg,
  type Status as StatusMsg,
  type WriteContentResponse,
  WriteAction,
} from '../api/gen/containerd/services/content/v1/content.js';
import { type Connection, mapError } from '../client/connection.js';
import { Lockstep } from '../client/content.js';
import { fromProto } from '../services/metadata/time.js';
import type { Mount, SnapshotKind } from '../services/snapshots/backend.js';
import type { Snapshotter } from '../services/snapshots/snapshotter.js';
import type { SnapshotInfo } from '../services/snapshots/store.js';
import type { Content, ContentIngest } from '../services/content/content.js';
import type { ContentInfo, ContentStatus } from '../services/content/store.js';

const kindOf: Record<Kind, SnapshotKind | undefined> = {
  [Kind.UNKNOWN]: undefined,
  [Kind.VIEW]: 'view',
  [Kind.ACTIVE]: 'active',
  [Kind.COMMITTED]: 'committed',
};

function snapshotInfo(i: SnapshotInfoMsg | undefined): SnapshotInfo {
  if (!i) throw new Error('reply without info');
  const kind = kindOf[i.kind];
  if (!kind) throw new Error(`reply with unknown kind ${i.kind}`);
  return {
    name: i.name,
    parent: i.parent,
    kind,
    createdAt: fromProto(i.createdAt),
    updatedAt: fromProto(i.updatedAt),
    labels: i.labels,
  };
}

const mounts = (r: { mounts: MountMsg[] }): Mount[] => r.mounts;

/** Snapshotter `snapshotter` of tsctrd, in the connection's namespace. */
export function grpcSnapshotter(conn: Connection, snapshotter: string): Snapshotter {
  const s = conn.snapshots;
  return {
    stat: async (key) => snapshotInfo((await conn.call(s, s.stat, { snapshotter, key })).info),
    update: async (key, labels, updateMask = []) => {
      const info: SnapshotInfoMsg = { name: key, parent: '', kind: Kind.UNKNOWN, labels };
      return snapshotInfo((await conn.call(s, s.update, { snapshotter, info, updateMask })).info);
    },
    usage: async (key) => {
      const u = await conn.call(s, s.usage, { snapshotter, key });
      return { size: u.size, inodes: u.inodes };
    },
    mounts: async (key) => mounts(await conn.call(s, s.mounts, { snapshotter, key })),
    prepare: async (key, parent = '', labels = {}) =>
      mounts(await conn.call(s, s.prepare, { snapshotter, key, parent, labels })),
    view: async (key, parent = '', labels = {}) =>
      mounts(await conn.call(s, s.view, { snapshotter, key, parent, labels })),
    commit: async (name, key, labels = {}) => {
      await conn.call(s, s.commit, { snapshotter, name, key, labels });
    },
    remove: async (key) => {
      await conn.call(s, s.remove, { snapshotter, key });
    },
    walk: async function* (filters = []) {
      for (const batch of await conn.collect(s.list({ snapshotter, filters }, conn.metadata()))) {
        yield* batch.info.map(snapshotInfo);
      }
    },
  };
}

function contentInfo(i: ContentInfoMsg | undefined): ContentInfo {
  if (!i) throw new Error('reply without info');
  return {
    digest: i.digest,
    size: i.size,
    createdAt: fromProto(i.createdAt),
    updatedAt: fromProto(i.updatedAt),
    labels: i.labels,
  };
}

function contentStatus(s: StatusMsg | undefined): ContentStatus {
  if (!s) throw new Error('reply without status');
  return {
    ref: s.ref,
    offset: s.offset,
    total: s.total,
    expected: s.expected,
    startedAt: fromProto(s.startedAt),
    updatedAt: fromProto(s.updatedAt),
  };
}

/** One Content.Write stream: the ingest stays open (locked) until `close` or a commit. */
async function grpcIngest(
  conn: Connection,
  ref: string,
  total: number,
  expected: string,
): Promise<ContentIngest> {
  const ls = new Lockstep(conn.content.write(conn.metadata()));
  let last: WriteContentResponse;
  try {
    last = await ls.send({ action: WriteAction.STAT, ref, total, expected });
  } catch (e) {
    ls.close();
    throw e;
  }
  return {
    ref,
    offset: () => last.offset,
    digest: () => last.digest,
    write: async (offset, data) => {
      last = await ls.send({ action: WriteAction.WRITE, offset, data: Buffer.from(data) });
    },
    commit: async (commitTotal, commitExpected, labels) => {
      const r = await ls.send({
        action: WriteAction.COMMIT,
        offset: last.offset,
        total: commitTotal,
        expected: commitExpected,
        labels,
      });
      ls.close();
      return r.digest;
    },
    close: async () => ls.close(),
  };
}

/** tsctrd's content store, in the connection's namespace. */
export function grpcContent(conn: Connection): Content {
  const c = conn.content;
  return {
    info: async (digest) => contentInfo((await conn.call(c, c.info, { digest })).info),
    update: async (digest, labels, updateMask = []) =>
      contentInfo((await conn.call(c, c.update, { info: { digest, size: 0, labels }, updateMask })).info),
    walk: async function* (filters = []) {
      for (const batch of await conn.collect(c.list({ filters }, conn.metadata()))) {
        yield* batch.info.map(contentInfo);
      }
    },
    delete: async (digest) => {
      await conn.call(c, c.delete, { digest });
    },
    readAt: async (digest, offset, size) => {
      const parts: Buffer[] = [];
      try {
        for await (const m of c.read({ digest, offset, size }, conn.metadata())) {
          parts.push((m as { data: Buffer }).data);
        }
      } catch (e) {
        throw mapError(e);
      }
      return Buffer.concat(parts);
    },
    status: async (ref) => contentStatus((await conn.call(c, c.status, { ref })).status),
    listStatuses: async (filters = []) =>
      (await conn.call(c, c.listStatuses, { filters })).statuses.map(contentStatus),
    abort: async (ref) => {
      await conn.call(c, c.abort, { ref });
    },
    writer: (ref, opts = {}) => grpcIngest(conn, ref, opts.total ?? 0, opts.expected ?? ''),
  };
}
