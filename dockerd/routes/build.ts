// /build/*: the build cache (the classic builder itself comes with dockerd/builder).
import { parseFilters } from '../wire/filters.js';
import type { Route } from '../http/router.js';
import type { BuildBackend } from './backends.js';

export function buildRoutes(b: BuildBackend): Route[] {
  return [
    {
      method: 'POST',
      path: '/build/prune',
      handler: async (ctx) => ctx.sendJson(200, await b.pruneBuildCache(parseFilters(ctx.str('filters')))),
    },
  ];
}
