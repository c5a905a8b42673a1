// /containers/*: thin handlers — parse the query and body, call the backend, write the status.
import { containerCreateBody, containerUpdateBody } from '../wire/body-schema.js';
import type { RequestContext } from '../http/context.js';
import { DockerError, InvalidParameter, NotFound } from '../errdefs/index.js';
import { parseFilters, validateFilterKeys } from '../wire/filters.js';
import { platformParam } from '../wire/platform.js';
import type { Route } from '../http/router.js';
import { parseDockerTime } from '../logs/format.js';
import type { ContainersBackend } from './backends.js';
import type { CreateBody } from '../backend/types.js';
import type { UpdateBody } from '../backend/containers/update.js';

const WAIT_CONDITIONS = new Set(['not-running', 'next-exit', 'removed']);

export function containerRoutes(b: ContainersBackend): Route[] {
  const get = (ctx: RequestContext) => b.container(ctx.params.name);
  return [
    {
      method: 'GET',
      path: '/containers/json',
      handler: async (ctx) => {
        const filters = parseFilters(ctx.str('filters'));
        validateFilterKeys(filters, [
          'id',
          'name',
          'label',
          'status',
          'ancestor',
          'exited',
          'before',
          'since',
          'volume',
          'network',
          'publish',
          'expose',
          'health',
          'is-task',
          'label!',
        ]);
        ctx.sendJson(
          200,
          await b.listContainers({
            all: ctx.bool('all'),
            limit: ctx.int('limit', -1),
            size: ctx.bool('size'),
            filters,
          }),
        );
      },
    },
    {
      method: 'POST',
      path: '/containers/create',
      body: containerCreateBody,
      handler: async (ctx) => {
        const body = await ctx.json<CreateBody>({ required: true });
        if (body === null || typeof body !== 'object' || Array.isArray(body))
          throw new InvalidParameter('Config cannot be empty in order to create a container');
        const platform = ctx.versionAtLeast('1.41') ? platformParam(ctx.str('platform')) : undefined;
        ctx.sendJson(201, await b.createContainer(body!, ctx.str('name') ?? '', platform));
      },
    },
    {
      method: 'POST',
      path: '/containers/prune',
      handler: async (ctx) => ctx.sendJson(200, await b.pruneContainers(parseFilters(ctx.str('filters')))),
    },
    {
      method: 'GET',
      path: '/containers/{name}/json',
      handler: async (ctx) => ctx.sendJson(200, await b.inspectContainer(get(ctx), ctx.bool('size'))),
    },
    {
      method: 'POST',
      path: '/containers/{name}/start',
      handler: async (ctx) => {
        // dockerd ≥ 1.24 refuses a start body (the HostConfig moved to create); `null` was allowed.
        const startBody = (await ctx.body()).toString().trim();
        if (startBody !== '' && startBody !== 'null')
          throw new InvalidParameter(
            ctx.versionAtLeast('1.24')
              ? 'starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24'
              : // Older clients may send a HostConfig here; it is refused rather than ignored.
                'a HostConfig in the start body is not supported: give it to create',
          );
        await b.startContainer(get(ctx));
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/stop',
      handler: async (ctx) => {
        const t = ctx.str('t');
        await b.stopContainer(get(ctx), t === undefined || t === '' ? undefined : ctx.int('t', 10));
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/restart',
      handler: async (ctx) => {
        const t = ctx.str('t');
        await b.restartContainer(get(ctx), t === undefined || t === '' ? undefined : ctx.int('t', 10));
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/kill',
      handler: async (ctx) => {
        // dockerd's router names the container as the client did: "Cannot kill container: web: …".
        await b.killContainer(get(ctx), ctx.str('signal')).catch((err: unknown) => {
          if (err instanceof DockerError)
            throw new DockerError(`Cannot kill container: ${ctx.params.name}: ${err.message}`, err.kind);
          throw err;
        });
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/pause',
      handler: async (ctx) => {
        await b.pauseContainer(get(ctx));
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/unpause',
      handler: async (ctx) => {
        await b.unpauseContainer(get(ctx));
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/rename',
      handler: async (ctx) => {
        await b.renameContainer(get(ctx), ctx.str('name') ?? '');
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/resize',
      handler: async (ctx) => {
        await b.resizeContainer(get(ctx), ctx.int('h', 0), ctx.int('w', 0));
        ctx.send(200, '', 'text/plain; charset=utf-8');
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/wait',
      handler: async (ctx) => {
        const condition = ctx.str('condition') || 'not-running';
        if (!WAIT_CONDITIONS.has(condition)) throw new InvalidParameter(`invalid condition: "${condition}"`);
        const rec = get(ctx);
        const result = b.waitContainer(rec, condition as 'not-running' | 'next-exit' | 'removed', ctx.signal);
        const out = ctx.streamJson({ separator: '\n' });
        const code = await result;
        if (code === undefined) {
          out.write({ Error: { Message: 'context canceled' }, StatusCode: -1 });
        } else out.write({ Error: null, StatusCode: code });
        out.end();
      },
    },
    {
      method: 'DELETE',
      path: '/containers/{name}',
      handler: async (ctx) => {
        if (ctx.bool('link')) await b.removeLink(ctx.params.name);
        else await b.removeContainer(get(ctx), { force: ctx.bool('force'), volumes: ctx.bool('v') });
        ctx.noContent();
      },
    },
    {
      // `docker rm --link /web/alias`: the link's name has slashes.
      method: 'DELETE',
      path: '/containers/{name:.*}',
      handler: async (ctx) => {
        if (!ctx.bool('link')) throw new NotFound(`No such container: ${ctx.params.name}`);
        await b.removeLink(ctx.params.name);
        ctx.noContent();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/attach',
      handler: async (ctx) => {
        const rec = get(ctx);
        const keys = ctx.str('detachKeys');
        if (keys) b.checkDetachKeys(keys);
        const sock = await ctx.hijack({});
        await b.attachContainer(rec, sock, {
          stdin: ctx.bool('stdin'),
          stdout: ctx.bool('stdout'),
          stderr: ctx.bool('stderr'),
          stream: ctx.bool('stream'),
          logs: ctx.bool('logs'),
          ...(keys ? { detachKeys: keys } : {}),
        });
      },
    },
    {
      method: 'GET',
      path: '/containers/{name}/logs',
      handler: async (ctx) => {
        const rec = get(ctx);
        const tailText = ctx.str('tail') ?? 'all';
        const tail = tailText === 'all' || tailText === '' ? -1 : Number.parseInt(tailText, 10);
        const o = {
          stdout: ctx.bool('stdout'),
          stderr: ctx.bool('stderr'),
          follow: ctx.bool('follow'),
          tail: Number.isNaN(tail) ? -1 : tail,
          since: ctx.str('since') ? parseDockerTime(ctx.str('since')!) : 0n,
          until: ctx.str('until') ? parseDockerTime(ctx.str('until')!) : 0n,
          timestamps: ctx.bool('timestamps'),
        };
        b.checkLogs(rec, o);
        const out = ctx.startStream({});
        await b.streamLogs(rec, out, o, ctx.signal);
        out.end();
      },
    },
    {
      method: 'GET',
      path: '/containers/{name}/changes',
      handler: async (ctx) => {
        const changes = await b.changes(get(ctx));
        ctx.sendJson(200, changes.length > 0 ? changes : null);
      },
    },
    {
      method: 'GET',
      path: '/containers/{name}/top',
      handler: async (ctx) => ctx.sendJson(200, await b.top(get(ctx), ctx.str('ps_args') ?? '')),
    },
    {
      method: 'GET',
      path: '/containers/{name}/stats',
      handler: async (ctx) => {
        const rec = get(ctx);
        const stream = ctx.str('stream') === undefined ? true : ctx.bool('stream');
        const out = ctx.streamJson({ separator: '\n' });
        await b.stats(rec, { stream, oneShot: ctx.bool('one-shot') }, (v) => out.write(v), ctx.signal);
        out.end();
      },
    },
    {
      method: 'GET',
      path: '/containers/{name}/export',
      handler: async (ctx) => {
        const rec = get(ctx);
        await b.exportContainer(rec, () => ctx.startStream({ contentType: 'application/x-tar' }));
      },
    },
    {
      method: 'HEAD',
      path: '/containers/{name}/archive',
      handler: async (ctx) => {
        const stat = await b.statPath(get(ctx), ctx.str('path') ?? '');
        ctx.res.setHeader('X-Docker-Container-Path-Stat', stat);
        ctx.send(200, '', 'application/json');
      },
    },
    {
      method: 'GET',
      path: '/containers/{name}/archive',
      handler: async (ctx) => {
        const rec = get(ctx);
        const p = ctx.str('path') ?? '';
        const { stat, open } = await b.getArchive(rec, p);
        ctx.res.setHeader('X-Docker-Container-Path-Stat', stat);
        const out = ctx.startStream({ contentType: 'application/x-tar' });
        await open(out);
      },
    },
    {
      method: 'PUT',
      path: '/containers/{name}/archive',
      handler: async (ctx) => {
        const p = ctx.str('path');
        if (!p) throw new InvalidParameter('path is required');
        await b.putArchive(get(ctx), p, ctx.raw(), {
          noOverwriteDirNonDir: ctx.bool('noOverwriteDirNonDir'),
        });
        ctx.send(200, '');
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/update',
      body: containerUpdateBody,
      handler: async (ctx) => {
        const body = await ctx.json<UpdateBody>({ required: true });
        if (!body || typeof body !== 'object') throw new InvalidParameter('invalid update body');
        ctx.sendJson(200, await b.updateContainer(get(ctx), body));
      },
    },
  ];
}
