// /info, /version, /events, /system/df, /auth, and /plugins (none are installed).
import { authBody } from '../wire/body-schema.js';
import { parseFilters } from '../wire/filters.js';
import { InvalidParameter, NotFound, NotImplemented } from '../errdefs/index.js';
import type { Route } from '../http/router.js';
import type { SystemBackend } from './backends.js';

const pluginsUnsupported = (): never => {
  throw new NotImplemented('plugins are not supported by tsctr-dockerd');
};

export function systemRoutes(b: SystemBackend): Route[] {
  return [
    { method: 'GET', path: '/info', handler: async (ctx) => ctx.sendJson(200, await b.info()) },
    { method: 'GET', path: '/version', handler: async (ctx) => ctx.sendJson(200, await b.version()) },
    { method: 'GET', path: '/system/df', handler: async (ctx) => ctx.sendJson(200, await b.df()) },
    {
      method: 'POST',
      path: '/auth',
      body: authBody,
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
    // No plugins are installed, and none can be: list answers [], the rest a clear refusal.
    { method: 'GET', path: '/plugins', handler: (ctx) => ctx.sendJson(200, []) },
    { method: 'GET', path: '/plugins/privileges', handler: pluginsUnsupported },
    { method: 'POST', path: '/plugins/pull', handler: pluginsUnsupported },
    { method: 'POST', path: '/plugins/create', handler: pluginsUnsupported },
    { method: 'POST', path: '/plugins/{name:.*}/enable', handler: pluginsUnsupported },
    { method: 'POST', path: '/plugins/{name:.*}/disable', handler: pluginsUnsupported },
    { method: 'POST', path: '/plugins/{name:.*}/upgrade', handler: pluginsUnsupported },
    { method: 'POST', path: '/plugins/{name:.*}/push', handler: pluginsUnsupported },
    { method: 'POST', path: '/plugins/{name:.*}/set', handler: pluginsUnsupported },
    {
      method: 'DELETE',
      path: '/plugins/{name:.*}',
      handler: (ctx) => {
        throw new NotFound(`plugin "${ctx.params.name}" not found`);
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
