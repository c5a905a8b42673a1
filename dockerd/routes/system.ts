// /info, /version, /events, /system/df, /auth, and the networks Docker always has (bridge, host,
// none); user-defined networks come with the CNI work.
import { parseFilters } from '../wire/filters.js';
import { InvalidParameter, NotFound, NotImplemented } from '../errdefs/index.js';
import type { Route } from '../http/router.js';
import type { Backend } from '../backend/backend.js';

export function systemRoutes(b: Backend): Route[] {
  return [
    { method: 'GET', path: '/info', handler: async (ctx) => ctx.sendJson(200, await b.info()) },
    { method: 'GET', path: '/version', handler: async (ctx) => ctx.sendJson(200, await b.version()) },
    { method: 'GET', path: '/system/df', handler: async (ctx) => ctx.sendJson(200, await b.df()) },
    {
      method: 'POST',
      path: '/auth',
      handler: async (ctx) => {
        const body = await ctx.json<{
          username?: string;
          password?: string;
          serveraddress?: string;
          identitytoken?: string;
        }>({ required: true });
        if (!body || typeof body !== 'object') throw new InvalidParameter('invalid auth configuration');
        await b.login(body);
        ctx.sendJson(200, { Status: 'Login Succeeded', IdentityToken: '' });
      },
    },
    {
      method: 'GET',
      path: '/events',
      handler: async (ctx) => {
        const since = ctx.str('since');
        const until = ctx.str('until');
        const out = ctx.streamJson({ separator: '\n' });
        await b.streamEvents(
          { since: since || undefined, until: until || undefined, filters: parseFilters(ctx.str('filters')) },
          (ev) => out.write(ev),
          ctx.signal,
        );
        out.end();
      },
    },
    { method: 'GET', path: '/networks', handler: (ctx) => ctx.sendJson(200, b.listNetworks()) },
    // Only the built-in networks exist, and they are never pruned; there is no build cache yet.
    {
      method: 'POST',
      path: '/networks/prune',
      handler: (ctx) => ctx.sendJson(200, { NetworksDeleted: null }),
    },
    {
      method: 'POST',
      path: '/build/prune',
      handler: (ctx) => ctx.sendJson(200, { CachesDeleted: null, SpaceReclaimed: 0 }),
    },
    { method: 'GET', path: '/networks/{id}', handler: (ctx) => ctx.sendJson(200, b.network(ctx.params.id)) },
    {
      method: 'POST',
      path: '/networks/create',
      handler: () => {
        throw new NotImplemented('user-defined networks are not supported by tsctr-dockerd yet');
      },
    },
    {
      method: 'GET',
      path: '/plugins/{name:.*}/json',
      handler: (ctx) => {
        throw new NotFound(`plugin "${ctx.params.name}" not found`);
      },
    },
  ];
}
