// /volumes/*.
import { volumeCreateBody } from '../wire/body-schema.js';
import { NotFound } from '../errdefs/index.js';
import { parseFilters } from '../wire/filters.js';
import type { Route } from '../http/router.js';
import type { VolumesBackend } from './backends.js';

interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export function volumeRoutes(b: VolumesBackend): Route[] {
  return [
    {
      method: 'GET',
      path: '/volumes',
      handler: (ctx) => ctx.sendJson(200, b.listVolumes(parseFilters(ctx.str('filters')))),
    },
    {
      method: 'POST',
      path: '/volumes/create',
      body: volumeCreateBody,
      handler: async (ctx) => {
        const body = (await ctx.json<VolumeCreateBody>()) ?? {};
        if (body.Driver && body.Driver !== 'local')
          throw new NotFound(
            `error looking up volume plugin ${body.Driver}: plugin "${body.Driver}" not found`,
          );
        ctx.sendJson(201, b.createVolume(body.Name ?? '', body.Labels ?? null, body.DriverOpts ?? null));
      },
    },
    {
      method: 'POST',
      path: '/volumes/prune',
      handler: (ctx) => ctx.sendJson(200, b.pruneVolumes(parseFilters(ctx.str('filters')))),
    },
    {
      method: 'GET',
      path: '/volumes/{name}',
      handler: (ctx) => ctx.sendJson(200, b.inspectVolume(ctx.params.name)),
    },
    {
      method: 'DELETE',
      path: '/volumes/{name}',
      handler: (ctx) => {
        b.removeVolume(ctx.params.name, ctx.bool('force'));
        ctx.noContent();
      },
    },
  ];
}
