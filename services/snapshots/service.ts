import {
  type Info,
  Kind,
  type SnapshotsServer,
} from '../../api/gen/containerd/services/snapshots/v1/snapshots.js';
import type { Empty } from '../../api/gen/google/protobuf/empty.js';
import { invalidArgument } from '../../api/errdefs.js';
import { toProto } from '../metadata/time.js';
import { type Edge, send } from '../server/grpc.js';
import type { SnapshotKind } from './backend.js';
import type { SnapshotInfo, SnapshotStore } from './store.js';

const kindMsg: Record<SnapshotKind, Kind> = {
  view: Kind.VIEW,
  active: Kind.ACTIVE,
  committed: Kind.COMMITTED,
};

const infoMsg = (i: SnapshotInfo): Info => ({
  name: i.name,
  parent: i.parent,
  kind: kindMsg[i.kind],
  createdAt: toProto(i.createdAt),
  updatedAt: toProto(i.updatedAt),
  labels: i.labels,
});

export interface SnapshotServiceHooks {
  afterRemove(): Promise<void>;
  cleanup(): Promise<void>;
}

export function snapshotsService(
  edge: Edge,
  store: SnapshotStore,
  hooks: SnapshotServiceHooks,
): SnapshotsServer {
  return {
    prepare: edge.unary('Snapshots.Prepare', async (req, ctx) => ({
      mounts: await store.prepare(ctx.ns(), req.snapshotter, req.key, req.parent, req.labels, ctx.lease()),
    })),
    view: edge.unary('Snapshots.View', async (req, ctx) => ({
      mounts: await store.view(ctx.ns(), req.snapshotter, req.key, req.parent, req.labels, ctx.lease()),
    })),
    mounts: edge.unary('Snapshots.Mounts', async (req, ctx) => ({
      mounts: await store.mounts(ctx.ns(), req.snapshotter, req.key),
    })),
    commit: edge.unary('Snapshots.Commit', async (req, ctx): Promise<Empty> => {
      await store.commit(ctx.ns(), req.snapshotter, req.name, req.key, req.labels, ctx.lease());
      return {};
    }),
    remove: edge.unary('Snapshots.Remove', async (req, ctx): Promise<Empty> => {
      await store.remove(ctx.ns(), req.snapshotter, req.key);
      await hooks.afterRemove();
      return {};
    }),
    stat: edge.unary('Snapshots.Stat', async (req, ctx) => ({
      info: infoMsg(await store.stat(ctx.ns(), req.snapshotter, req.key)),
    })),
    update: edge.unary('Snapshots.Update', async (req, ctx) => {
      if (!req.info) throw invalidArgument('info is required');
      return {
        info: infoMsg(
          await store.update(ctx.ns(), req.snapshotter, req.info.name, req.info.labels, req.updateMask ?? []),
        ),
      };
    }),
    list: edge.stream('Snapshots.List', async (req, ctx, call) => {
      let batch: Info[] = [];
      for await (const i of store.list(ctx.ns(), req.snapshotter, req.filters)) {
        batch.push(infoMsg(i));
        if (batch.length === 100) {
          await send(call, { info: batch });
          batch = [];
        }
      }
      if (batch.length > 0) await send(call, { info: batch });
    }),
    usage: edge.unary('Snapshots.Usage', async (req, ctx) => store.usage(ctx.ns(), req.snapshotter, req.key)),
    cleanup: edge.unary('Snapshots.Cleanup', async (req, ctx): Promise<Empty> => {
      ctx.ns();
      store.backend(req.snapshotter);
      await hooks.cleanup();
      return {};
    }),
  };
}
