import type { Empty } from '../../api/gen/google/protobuf/empty.js';
import type { NamespacesServer } from '../../api/gen/containerd/services/namespaces/v1/namespace.js';
import { invalidArgument } from '../../api/errdefs.js';
import { adapt, parseFilters } from '../filters/index.js';
import type { Edge } from '../server/grpc.js';
import type { NamespaceStore } from './store.js';

export function namespacesService(edge: Edge, store: NamespaceStore): NamespacesServer {
  return {
    get: edge.unary('Namespaces.Get', async (req) => ({ namespace: await store.get(req.name) })),
    list: edge.unary('Namespaces.List', async (req) => {
      const filter = parseFilters(req.filter ? [req.filter] : []);
      const all = await store.list();
      return { namespaces: all.filter((n) => filter.match(adapt({ name: n.name }, { labels: n.labels }))) };
    }),
    create: edge.unary('Namespaces.Create', async (req) => {
      if (!req.namespace) throw invalidArgument('namespace is required');
      return { namespace: await store.create(req.namespace) };
    }),
    update: edge.unary('Namespaces.Update', async (req) => {
      if (!req.namespace) throw invalidArgument('namespace is required');
      return { namespace: await store.update(req.namespace, req.updateMask ?? []) };
    }),
    delete: edge.unary('Namespaces.Delete', async (req): Promise<Empty> => {
      await store.delete(req.name);
      return {};
    }),
  };
}
