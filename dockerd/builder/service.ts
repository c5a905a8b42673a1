// The build router's backend: POST /build (the classic builder) and POST /build/prune. A build gets
// a private directory for its context under the data root, removed when it ends; RUN --mount cache
// directories persist per id until `docker builder prune`.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { parseReference } from '../../client/remotes/reference.js';
import type { Engine } from '../backend/engine.js';
import { PARENT_LABEL } from '../backend/images.js';
import { InvalidParameter } from '../errdefs/index.js';
import type { Filters } from '../wire/filters.js';
import type { JsonMessage, JsonStreamWriter } from '../wire/jsonmessage.js';
import { Build, StepError } from './build.js';
import { BuildContext } from './build-context.js';
import { BuildCache, SourceMemo } from './cache.js';
import { short } from './image-state.js';
import type { BuildOptions } from './options.js';
import { BuildCancelled } from './run-step.js';
import { diskUsage } from './usage.js';

export class BuildService {
  private readonly root: string;
  private readonly sources = new SourceMemo();

  constructor(private readonly e: Engine) {
    this.root = path.join(e.opts.dataRoot, 'builder');
    // Contexts of builds cut short by a crash.
    rmSync(path.join(this.root, 'tmp'), { recursive: true, force: true });
    mkdirSync(path.join(this.root, 'tmp'), { recursive: true, mode: 0o700 });
    mkdirSync(path.join(this.root, 'cache-mounts'), { recursive: true, mode: 0o700 });
  }

  async build(
    o: BuildOptions,
    body: Readable,
    open: () => JsonStreamWriter,
    signal: AbortSignal,
  ): Promise<void> {
    const tags = o.tags.map((t) => {
      try {
        const r = parseReference(t);
        if (r.digest) throw new Error('refusing to create a tag with a digest reference');
        return r;
      } catch (err) {
        throw new InvalidParameter(`invalid reference format: ${t}: ${(err as Error).message}`);
      }
    });
    const dir = mkdtempSync(path.join(this.root, 'tmp', 'build-'));
    const ctxDir = path.join(dir, 'context');
    const tmp = path.join(dir, 'tmp');
    mkdirSync(ctxDir, { mode: 0o755 });
    mkdirSync(tmp, { mode: 0o700 });
    let out: JsonStreamWriter | undefined;
    const held: JsonMessage[] = [];
    let ctx: BuildContext | undefined;
    try {
      const t0 = performance.now();
      const got = await BuildContext.receive(body, ctxDir, path.join(dir, 'context.tar'), o.noCache);
      const received = performance.now();
      ctx = got.ctx;
      const df = await ctx.readDockerfile(got.dockerfileOnly ?? o.dockerfile);
      await ctx.applyDockerignore();
      const cache = new BuildCache(this.e, this.sources);
      if (o.cacheFrom.length > 0) await cache.restrictTo(o.cacheFrom);
      const build = new Build(
        this.e,
        { ...o, dockerfile: df.rel },
        { context: ctx, tmp, cacheMounts: path.join(this.root, 'cache-mounts') },
        df.text,
        cache,
        {
          write: (m) => {
            if (o.quiet) held.push(m);
            else out?.write(m);
          },
          signal,
          log: this.e.log,
        },
      );
      build.targetIndex();
      out = open();
      let id: string;
      try {
        id = await build.run();
        this.e.log.debug(
          {
            receiveMs: Math.round(received - t0),
            stepsMs: Math.round(performance.now() - received),
            unpacked: ctx.isUnpacked,
          },
          'build steps done',
        );
      } catch (err) {
        if (err instanceof BuildCancelled || signal.aborted) {
          this.e.log.info({ err: (err as Error).message }, 'build cancelled');
          return;
        }
        if (o.quiet) for (const m of held) if (m.stream) out.write(m);
        const code = err instanceof StepError ? err.code : undefined;
        out.write({
          errorDetail: code ? { code, message: (err as Error).message } : { message: (err as Error).message },
          error: (err as Error).message,
        });
        return;
      }
      const img = await this.e.images.resolve(id, { allNames: false });
      for (const t of tags) {
        await this.e.c.image(t.string).put(
          {
            target: img.target,
            labels: { [PARENT_LABEL]: img.records[0]?.labels[PARENT_LABEL] ?? 'none' },
          },
          ['target', 'labels'],
          true,
        );
        this.e.events.publish('image', 'tag', id, { name: t.familiar });
      }
      if (o.quiet) {
        out.write({ stream: `${id}\n` });
        return;
      }
      out.write({ stream: `Successfully built ${short(id)}\n` });
      for (const t of tags) out.write({ stream: `Successfully tagged ${t.familiar}\n` });
    } finally {
      out?.end();
      ctx?.close();
      // Off the event loop: an unpacked context of thousands of files takes a while to delete, and
      // the client (done once the stream ends) may be sending the next build already.
      await rm(dir, { recursive: true, force: true });
    }
  }

  async pruneBuildCache(
    _filters: Filters,
  ): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    const dir = path.join(this.root, 'cache-mounts');
    let reclaimed = 0;
    const deleted: string[] = [];
    for (const name of readdirSync(dir)) {
      reclaimed += diskUsage(path.join(dir, name));
      rmSync(path.join(dir, name), { recursive: true, force: true });
      deleted.push(name);
    }
    return { CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }
}
