// /build (the classic builder, version=1) and /build/prune. The query is read as moby's
// newImageBuildOptions does; what cannot be honoured is refused with a 400, never ignored.
import { Readable } from 'node:stream';
import { InvalidParameter, parseJsonText } from '../errdefs/index.js';
import { parseFilters } from '../wire/filters.js';
import type { Route } from '../http/router.js';
import type { RequestContext } from '../http/context.js';
import type { BuildBackend } from './backends.js';
import { type BuildOptions, defaultBuildOptions } from '../builder/options.js';
import type { Ulimit } from '../backend/types.js';

function jsonParam<T>(
  ctx: RequestContext,
  name: string,
  check: (v: unknown) => boolean,
  what: string,
): T | undefined {
  const text = ctx.str(name);
  if (text === undefined || text === '') return undefined;
  const v = parseJsonText(text, `invalid ${name}`);
  if (v === null) return undefined;
  if (!check(v)) throw new InvalidParameter(`invalid ${name}: expected ${what}`);
  return v as T;
}

const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

export function buildOptions(ctx: RequestContext): BuildOptions {
  const o = defaultBuildOptions();
  const version = ctx.str('version');
  if (version && version !== '1')
    throw new InvalidParameter(
      'BuildKit (version=2) is not supported by this daemon; use the classic builder (version=1)',
    );
  if (ctx.bool('squash')) throw new InvalidParameter('squash is only supported with experimental mode');
  const iso = ctx.str('isolation');
  if (iso && iso !== 'default') throw new InvalidParameter(`Isolation ${iso} is not supported on linux`);
  if (ctx.str('securityopt'))
    throw new InvalidParameter(
      'The daemon on this platform does not support setting security options on build',
    );
  const outputs = ctx.str('outputs');
  if (outputs && outputs !== '[]' && outputs !== 'null')
    throw new InvalidParameter('outputs are not supported by the classic builder');
  o.tags = ctx.strs('t').filter((t) => t !== '');
  o.dockerfile = ctx.str('dockerfile') || 'Dockerfile';
  o.quiet = ctx.bool('q');
  o.noCache = ctx.bool('nocache');
  o.forceRm = ctx.bool('forcerm');
  o.rm = o.forceRm || ctx.bool('rm', true);
  o.pull = ctx.bool('pull');
  o.target = ctx.str('target') ?? '';
  o.networkMode = ctx.str('networkmode') ?? '';
  if (o.networkMode === 'default') o.networkMode = '';
  o.extraHosts = ctx
    .strs('extrahosts')
    .flatMap((h) => h.split(','))
    .filter((h) => h !== '');
  o.shmSize = ctx.int('shmsize', 0);
  o.memory = ctx.int('memory', 0);
  o.memSwap = ctx.int('memswap', 0);
  o.cpuShares = ctx.int('cpushares', 0);
  o.cpusetCpus = ctx.str('cpusetcpus') ?? '';
  o.cpusetMems = ctx.str('cpusetmems') ?? '';
  o.cpuPeriod = ctx.int('cpuperiod', 0);
  o.cpuQuota = ctx.int('cpuquota', 0);
  o.cgroupParent = ctx.str('cgroupparent') ?? '';
  o.platform = ctx.str('platform') ?? '';
  if (o.platform) {
    const [os, arch] = o.platform.toLowerCase().split('/');
    const here = process.arch === 'x64' ? 'amd64' : process.arch;
    if (os !== 'linux' || (arch && arch !== here))
      throw new InvalidParameter(
        `platform ${o.platform} is not supported: this daemon builds linux/${here} only`,
      );
  }
  o.buildArgs =
    jsonParam<Record<string, string | null>>(
      ctx,
      'buildargs',
      (v) => isObject(v) && Object.values(v as object).every((x) => x === null || typeof x === 'string'),
      'an object of strings',
    ) ?? {};
  o.labels =
    jsonParam<Record<string, string>>(
      ctx,
      'labels',
      (v) => isObject(v) && Object.values(v as object).every((x) => typeof x === 'string'),
      'an object of strings',
    ) ?? {};
  o.cacheFrom =
    jsonParam<string[]>(
      ctx,
      'cachefrom',
      (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
      'a list of strings',
    ) ?? [];
  o.ulimits = jsonParam<Ulimit[]>(ctx, 'ulimits', (v) => Array.isArray(v), 'a list') ?? [];
  const cfg = ctx.req.headers['x-registry-config'];
  if (typeof cfg === 'string' && cfg !== '') {
    try {
      const v: unknown = JSON.parse(Buffer.from(cfg, 'base64').toString('utf8'));
      if (isObject(v)) o.registryAuth = v as BuildOptions['registryAuth'];
    } catch {
      // moby ignores an unreadable X-Registry-Config as well
    }
  }
  return o;
}

/** A `remote=` context: fetched when it is an http(s) URL of a tarball or a Dockerfile. */
async function remoteBody(remote: string, signal: AbortSignal): Promise<Readable> {
  if (!/^https?:\/\//.test(remote))
    throw new InvalidParameter(
      `remote context ${remote} is not supported (only http and https URLs of a tar or a Dockerfile)`,
    );
  let res: Response;
  try {
    res = await fetch(remote, { signal });
  } catch (err) {
    throw new InvalidParameter(`unable to download remote context ${remote}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body)
    throw new InvalidParameter(
      `unable to download remote context ${remote}: ${res.status} ${res.statusText}`,
    );
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
}

export function buildRoutes(b: BuildBackend): Route[] {
  return [
    {
      method: 'POST',
      path: '/build',
      handler: async (ctx) => {
        const o = buildOptions(ctx);
        const remote = ctx.str('remote');
        const body = remote ? await remoteBody(remote, ctx.signal) : ctx.raw();
        await b.build(o, body, () => ctx.streamJson(), ctx.signal);
      },
    },
    {
      method: 'POST',
      path: '/build/prune',
      handler: async (ctx) => ctx.sendJson(200, await b.pruneBuildCache(parseFilters(ctx.str('filters')))),
    },
  ];
}
