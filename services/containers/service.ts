import type {
  Container as ContainerMsg,
  ContainersServer,
} from '../../api/gen/containerd/services/containers/v1/containers.js';
import type { Empty } from '../../api/gen/google/protobuf/empty.js';
import { invalidArgument } from '../../api/errdefs.js';
import { toProto } from '../metadata/time.js';
import { type Edge, send } from '../server/grpc.js';
import type { Container, ContainerInput, ContainerStore } from './store.js';

const msg = (c: Container): ContainerMsg => ({
  id: c.id,
  labels: c.labels,
  image: c.image,
  runtime: { name: c.runtime.name, options: c.runtime.options },
  spec: c.spec,
  snapshotter: c.snapshotter,
  snapshotKey: c.snapshotKey,
  createdAt: toProto(c.createdAt),
  updatedAt: toProto(c.updatedAt),
  extensions: c.extensions,
});

function input(m: ContainerMsg | undefined): ContainerInput {
  if (!m) throw invalidArgument('container is required');
  return {
    id: m.id,
    labels: m.labels,
    image: m.image,
    runtime: { name: m.runtime?.name ?? '', ...(m.runtime?.options ? { options: m.runtime.options } : {}) },
    ...(m.spec ? { spec: m.spec } : {}),
    snapshotter: m.snapshotter,
    snapshotKey: m.snapshotKey,
    extensions: m.extensions ?? {},
  };
}

export interface ContainerServiceHooks {
  afterDelete(): Promise<void>;
}

export function containersService(
  edge: Edge,
  store: ContainerStore,
  hooks: ContainerServiceHooks,
): ContainersServer {
  return {
    get: edge.unary('Containers.Get', async (req, ctx) => ({
      container: msg(await store.get(ctx.ns(), req.id)),
    })),
    list: edge.unary('Containers.List', async (req, ctx) => ({
      containers: (await store.list(ctx.ns(), req.filters)).map(msg),
    })),
    listStream: edge.stream('Containers.ListStream', async (req, ctx, call) => {
      for (const c of await store.list(ctx.ns(), req.filters)) await send(call, { container: msg(c) });
    }),
    create: edge.unary('Containers.Create', async (req, ctx) => ({
      container: msg(await store.create(ctx.ns(), input(req.container))),
    })),
    update: edge.unary('Containers.Update', async (req, ctx) => ({
      container: msg(await store.update(ctx.ns(), input(req.container), req.updateMask ?? [])),
    })),
    delete: edge.unary('Containers.Delete', async (req, ctx): Promise<Empty> => {
      await store.delete(ctx.ns(), req.id);
      await hooks.afterDelete();
      return {};
    }),
  };
}
