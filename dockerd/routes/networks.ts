// /networks/*.
import { InvalidParameter } from '../errdefs/index.js';
import { parseFilters } from '../wire/filters.js';
import type { Route } from '../http/router.js';
import type { NetworksBackend } from './backends.js';

export function networkRoutes(b: NetworksBackend): Route[] {
  return [
    {
      method: 'GET',
      path: '/networks',
      handler: (ctx) => ctx.sendJson(200, b.listNetworks(parseFilters(ctx.str('filters')))),
    },
    {
      method: 'POST',
      path: '/networks/prune',
      handler: async (ctx) => ctx.sendJson(200, await b.pruneNetworks(parseFilters(ctx.str('filters')))),
    },
    { method: 'GET', path: '/networks/{id}', handler: (ctx) => ctx.sendJson(200, b.network(ctx.params.id)) },
    {
      method: 'POST',
      path: '/networks/create',
      handler: async (ctx) => {
        const body = await ctx.json<Record<string, unknown>>({ required: true });
        if (!body || typeof body !== 'object' || Array.isArray(body))
          throw new InvalidParameter('invalid network config');
        ctx.sendJson(201, await b.createNetwork(body));
      },
    },
  ];
}
