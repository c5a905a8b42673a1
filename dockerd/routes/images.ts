// /images/*: pull (and import), push, list, inspect, history, tag, remove, save, load, prune.
import { commitBody } from '../wire/body-schema.js';
import { InvalidParameter, errorMessage } from '../errdefs/index.js';
import { parseFilters } from '../wire/filters.js';
import { platformParam } from '../wire/platform.js';
import { checkTag, parseNamed } from '../wire/reference.js';
import type { Route } from '../http/router.js';
import type { ImagesBackend } from './backends.js';
import type { ContainerConfig } from '../backend/types.js';

export function imageRoutes(b: ImagesBackend): Route[] {
  return [
    {
      method: 'POST',
      path: '/images/create',
      handler: async (ctx) => {
        const fromSrc = ctx.str('fromSrc');
        if (fromSrc) {
          const out = await b.importImage(
            fromSrc,
            ctx.str('repo') ?? '',
            ctx.str('tag') ?? '',
            ctx.strs('changes'),
            ctx.raw(),
            () => ctx.streamJson(),
          );
          out.end();
          return;
        }
        // Everything is checked before the registry is asked anything.
        platformParam(ctx.str('platform'));
        const stream = await b.pullImage(
          ctx.str('fromImage') ?? '',
          ctx.str('tag') ?? '',
          ctx.req.headers['x-registry-auth'] as string | undefined,
          ctx.str('platform'),
          () => ctx.streamJson(),
        );
        stream.end();
      },
    },
    {
      method: 'POST',
      path: '/commit',
      body: commitBody,
      handler: async (ctx) => {
        const ref = ctx.str('container');
        if (!ref) throw new InvalidParameter('container is required');
        const body = await ctx.json<ContainerConfig>();
        const id = await b.commitContainer(ref, {
          repo: ctx.str('repo') ?? '',
          tag: ctx.str('tag') ?? '',
          comment: ctx.str('comment') ?? '',
          author: ctx.str('author') ?? '',
          pause: ctx.str('pause') === undefined ? true : ctx.bool('pause'),
          changes: ctx.strs('changes'),
          config: body && typeof body === 'object' && !Array.isArray(body) ? body : undefined,
        });
        ctx.sendJson(201, { Id: id });
      },
    },
    {
      method: 'GET',
      path: '/images/json',
      handler: async (ctx) =>
        ctx.sendJson(
          200,
          await b.listImages({ all: ctx.bool('all'), filters: parseFilters(ctx.str('filters')) }),
        ),
    },
    {
      method: 'GET',
      path: '/images/get',
      handler: async (ctx) => {
        const names = ctx.strs('names');
        if (names.length === 0) throw new InvalidParameter('no images specified');
        await b.saveImages(names, () => ctx.startStream({ contentType: 'application/x-tar' }));
      },
    },
    {
      method: 'POST',
      path: '/images/load',
      handler: async (ctx) => {
        // As dockerd: 200 and a JSON stream; a broken archive is an errorDetail line in it (docker-py
        // raises ImageLoadError from that line).
        const out = ctx.streamJson();
        let loaded: string[];
        try {
          loaded = await b.loadImages(ctx.raw());
        } catch (err) {
          out.fail(errorMessage(err));
          return;
        }
        for (const l of loaded) out.write({ stream: `Loaded image: ${l}\n` });
        out.end();
      },
    },
    {
      method: 'POST',
      path: '/images/prune',
      handler: async (ctx) => ctx.sendJson(200, await b.pruneImages(parseFilters(ctx.str('filters')))),
    },
    {
      method: 'GET',
      path: '/images/{name:.*}/json',
      handler: async (ctx) => ctx.sendJson(200, await b.inspectImage(ctx.params.name)),
    },
    {
      method: 'GET',
      path: '/images/{name:.*}/history',
      handler: async (ctx) => ctx.sendJson(200, await b.imageHistory(ctx.params.name)),
    },
    {
      method: 'GET',
      path: '/images/{name:.*}/get',
      handler: async (ctx) =>
        b.saveImages([ctx.params.name], () => ctx.startStream({ contentType: 'application/x-tar' })),
    },
    {
      method: 'POST',
      path: '/images/{name:.*}/tag',
      handler: async (ctx) => {
        await b.tagImage(ctx.params.name, ctx.str('repo') ?? '', ctx.str('tag') ?? '');
        ctx.send(201, '');
      },
    },
    {
      method: 'POST',
      path: '/images/{name:.*}/push',
      handler: async (ctx) => {
        const auth = ctx.req.headers['x-registry-auth'] as string | undefined;
        // The name and tag are checked before the stream (and any registry) starts: a 400.
        parseNamed(ctx.params.name);
        const tag = ctx.str('tag');
        if (tag) checkTag(tag);
        const out = ctx.streamJson();
        await b
          .pushImage(ctx.params.name, ctx.str('tag') ?? '', auth, (m) => out.write(m))
          .then(
            () => out.end(),
            (err: Error) => out.fail(err.message),
          );
      },
    },
    {
      method: 'DELETE',
      path: '/images/{name:.*}',
      handler: async (ctx) => ctx.sendJson(200, await b.removeImage(ctx.params.name, ctx.bool('force'))),
    },
  ];
}
