// /info, /version, /events, /system/df, /auth, and /plugins (none are installed).
import { parseFilters } from '../wire/filters.js';
import { InvalidParameter, NotFound } from '../errdefs/index.js';
import type { Route } from '../http/router.js';
import type { SystemBackend } from './backends.js';

export function systemRoutes(b: SystemBackend): Route[] {
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
    {
      method: 'GET',
      path: '/plugins/{name:.*}/json',
      handler: (ctx) => {
        throw new NotFound(`plugin "${ctx.params.name}" not found`);
      },
    },
  ];
}
