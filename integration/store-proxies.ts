// The Snapshotter and Content interfaces over tsctrd's gRPC services, through the client library
// (its snapshotter handle, its content calls, and raw stubs for the calls it does not wrap): what the
// conformance suites run against to check the whole path (client → gRPC → store).
import { type Info as SnapshotInfoMsg, Kind } from '../api/gen/containerd/services/snapshots/v1/snapshots.js';
import {
  type Info as ContentInfoMsg,
  type Status as StatusMsg,
  type WriteContentResponse,
  WriteAction,
} from '../api/gen/containerd/services/content/v1/content.js';
import type { Connection } from '../client/connection.js';
import { Lockstep, readBlob } from '../client/content.js';
import {
  contentInfo as clientContentInfo,
  deleteContent,
  listContent,
  listIngests,
} from '../client/services/content.js';
import { fromProto } from '../services/metadata/time.js';
import type { SnapshotKind } from '../services/snapshots/backend.js';
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

/** Snapshotter `snapshotter` of tsctrd through the client library's handle, in the connection's namespace. */
export function grpcSnapshotter(conn: Connection, snapshotter: string): Snapshotter {
  const s = conn.snapshotter(snapshotter);
  return {
    stat: async (key) => snapshotInfo(await s.stat(key)),
    update: async (key, labels, fieldpaths = []) =>
      snapshotInfo(await s.update({ name: key, parent: '', kind: Kind.UNKNOWN, labels }, fieldpaths)),
    usage: async (key) => {
      const u = await s.usage(key);
      return { size: u.size, inodes: u.inodes };
    },
    mounts: (key) => s.mounts(key),
    prepare: (key, parent, labels) => s.prepare(key, parent, labels),
    view: (key, parent, labels) => s.view(key, parent, labels),
    commit: (name, key, labels) => s.commit(name, key, labels),
    remove: (key) => s.remove(key),
    walk: async function* (filters = []) {
      yield* (await s.walk(filters)).map(snapshotInfo);
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
    info: async (digest) => contentInfo(await clientContentInfo(conn, digest)),
    update: async (digest, labels, updateMask = []) =>
      contentInfo((await conn.call(c, c.update, { info: { digest, size: 0, labels }, updateMask })).info),
    walk: async function* (filters = []) {
      yield* (await listContent(conn, filters)).map(contentInfo);
    },
    delete: (digest) => deleteContent(conn, digest),
    readAt: async (digest, offset, size) => {
      const parts: Buffer[] = [];
      for await (const data of readBlob(conn, digest, offset, size)) parts.push(data);
      return Buffer.concat(parts);
    },
    status: async (ref) => contentStatus((await conn.call(c, c.status, { ref })).status),
    listStatuses: async (filters = []) => (await listIngests(conn, filters)).map(contentStatus),
    abort: async (ref) => {
      await conn.call(c, c.abort, { ref });
    },
    writer: (ref, opts = {}) => grpcIngest(conn, ref, opts.total ?? 0, opts.expected ?? ''),
  };
}
