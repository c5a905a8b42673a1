import { randomBytes } from 'node:crypto';
import type { Empty } from '../../api/gen/google/protobuf/empty.js';
import type { LeasesServer, Lease as LeaseMsg } from '../../api/gen/containerd/services/leases/v1/leases.js';
import { invalidArgument } from '../../api/errdefs.js';
import { adapt, parseFilters } from '../filters/index.js';
import { toProto } from '../metadata/time.js';
import type { Edge } from '../server/grpc.js';
import type { Lease, LeaseStore } from './store.js';

const toMsg = (l: Lease): LeaseMsg => ({ id: l.id, createdAt: toProto(l.createdAt), labels: l.labels });

export interface LeaseServiceHooks {
  /** Called after a delete; `sync` asks to wait for the garbage collection. */
  afterDelete(sync: boolean): Promise<void>;
}

export function leasesService(edge: Edge, store: LeaseStore, hooks: LeaseServiceHooks): LeasesServer {
  return {
    create: edge.unary('Leases.Create', async (req, ctx) => {
      const id = req.id || `${Date.now()}-${randomBytes(3).toString('base64url')}`;
      return { lease: toMsg(await store.create(ctx.ns(), id, req.labels)) };
    }),
    delete: edge.unary('Leases.Delete', async (req, ctx): Promise<Empty> => {
      await store.delete(ctx.ns(), req.id);
      await hooks.afterDelete(req.sync);
      return {};
    }),
    list: edge.unary('Leases.List', async (req, ctx) => {
      const filter = parseFilters(req.filters);
      const leases = await store.list(ctx.ns());
      return {
        leases: leases.filter((l) => filter.match(adapt({ id: l.id }, { labels: l.labels }))).map(toMsg),
      };
    }),
    addResource: edge.unary('Leases.AddResource', async (req, ctx): Promise<Empty> => {
      if (!req.resource) throw invalidArgument('resource is required');
      await store.addResource(ctx.ns(), req.id, req.resource);
      return {};
    }),
    deleteResource: edge.unary('Leases.DeleteResource', async (req, ctx): Promise<Empty> => {
      if (!req.resource) throw invalidArgument('resource is required');
      await store.deleteResource(ctx.ns(), req.id, req.resource);
      await hooks.afterDelete(false);
      return {};
    }),
    listResources: edge.unary('Leases.ListResources', async (req, ctx) => ({
      resources: await store.listResources(ctx.ns(), req.id),
    })),
  };
}
