import type { Image as ImageMsg, ImagesServer } from '../../api/gen/containerd/services/images/v1/images.js';
import type { Empty } from '../../api/gen/google/protobuf/empty.js';
import { invalidArgument } from '../../api/errdefs.js';
import { toProto } from '../metadata/time.js';
import type { Edge } from '../server/grpc.js';
import type { Image, ImageStore } from './store.js';

const imageMsg = (i: Image): ImageMsg => ({
  name: i.name,
  labels: i.labels,
  target: i.target,
  createdAt: toProto(i.createdAt),
  updatedAt: toProto(i.updatedAt),
});

export interface ImageServiceHooks {
  /** After a delete; `sync` waits for the garbage collection. */
  afterDelete(sync: boolean): Promise<void>;
}

export function imagesService(edge: Edge, store: ImageStore, hooks: ImageServiceHooks): ImagesServer {
  return {
    get: edge.unary('Images.Get', async (req, ctx) => ({
      image: imageMsg(await store.get(ctx.ns(), req.name)),
    })),
    list: edge.unary('Images.List', async (req, ctx) => ({
      images: (await store.list(ctx.ns(), req.filters)).map(imageMsg),
    })),
    create: edge.unary('Images.Create', async (req, ctx) => {
      if (!req.image) throw invalidArgument('image is required');
      return { image: imageMsg(await store.create(ctx.ns(), req.image)) };
    }),
    update: edge.unary('Images.Update', async (req, ctx) => {
      if (!req.image) throw invalidArgument('image is required');
      return { image: imageMsg(await store.update(ctx.ns(), req.image, req.updateMask ?? [])) };
    }),
    delete: edge.unary('Images.Delete', async (req, ctx): Promise<Empty> => {
      await store.delete(ctx.ns(), req.name);
      await hooks.afterDelete(req.sync);
      return {};
    }),
  };
}
