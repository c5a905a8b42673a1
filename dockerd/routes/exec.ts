// /containers/{id}/exec and /exec/*.
import { execCreateBody, execStartBody } from '../wire/body-schema.js';
import { InvalidParameter } from '../errdefs/index.js';
import type { Route } from '../http/router.js';
import type { ExecBackend } from './backends.js';
import type { ExecConfig } from '../backend/containers/exec.js';

export function execRoutes(b: ExecBackend): Route[] {
  return [
    {
      method: 'POST',
      path: '/containers/{name}/exec',
      body: execCreateBody,
      handler: async (ctx) => {
        const rec = b.container(ctx.params.name);
        const cfg = await ctx.json<ExecConfig>({ required: true });
        if (!cfg || typeof cfg !== 'object') throw new InvalidParameter('exec config is required');
        if (cfg.DetachKeys) b.checkDetachKeys(cfg.DetachKeys);
        ctx.sendJson(201, { Id: b.createExec(rec, cfg) });
      },
    },
    {
      method: 'POST',
      path: '/exec/{id}/start',
      body: execStartBody,
      handler: async (ctx) => {
        const body = (await ctx.json<{ Detach?: boolean; Tty?: boolean }>()) ?? {};
        const x = b.exec(ctx.params.id);
        if (body.Detach) {
          await b.startExecDetached(x);
          ctx.send(200, '');
          return;
        }
        b.checkExecStartable(x);
        const sock = await ctx.hijack({ extraHeaders: true });
        await b.startExecAttached(x, sock, { tty: body.Tty ?? false });
      },
    },
    {
      method: 'POST',
      path: '/exec/{id}/resize',
      handler: async (ctx) => {
        await b.resizeExec(b.exec(ctx.params.id), ctx.int('h', 0), ctx.int('w', 0));
        ctx.send(200, '', 'text/plain; charset=utf-8');
      },
    },
    {
      method: 'GET',
      path: '/exec/{id}/json',
      handler: (ctx) => ctx.sendJson(200, b.inspectExec(b.exec(ctx.params.id))),
    },
  ];
}
