// /networks/*.
import { networkConnectBody, networkCreateBody, networkDisconnectBody } from '../wire/body-schema.js';
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
      body: networkCreateBody,
      handler: async (ctx) => {
        const body = (await ctx.json<Record<string, unknown>>()) ?? {};
        ctx.sendJson(201, await b.createNetwork(body));
      },
    },
    {
      method: 'DELETE',
      path: '/networks/{id}',
      handler: async (ctx) => {
        await b.removeNetwork(ctx.params.id);
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      path: '/networks/{id}/connect',
      body: networkConnectBody,
      handler: async (ctx) => {
        const body = (await ctx.json<Record<string, unknown>>()) ?? {};
        await b.connect(ctx.params.id, body as Parameters<NetworksBackend['connect']>[1]);
        ctx.send(200, '');
      },
    },
    {
      method: 'POST',
      path: '/networks/{id}/disconnect',
      body: networkDisconnectBody,
      handler: async (ctx) => {
        const body = (await ctx.json<Record<string, unknown>>()) ?? {};
        if (!body.Container) throw new InvalidParameter('No such container: ');
        await b.disconnect(ctx.params.id, body as { Container?: string; Force?: boolean });
        ctx.send(200, '');
      },
    },
  ];
}
