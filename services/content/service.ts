// The Content gRPC service: a thin adapter over ContentStore. Write is a bidi stream in strict
// lockstep: one reply per request, the ingest opened on the first message (which must carry a ref).
import {
  type ContentServer,
  type Info,
  type Status,
  type WriteContentRequest,
  type WriteContentResponse,
  WriteAction,
} from '../../api/gen/containerd/services/content/v1/content.js';
import type { Empty } from '../../api/gen/google/protobuf/empty.js';
import { alreadyExists, invalidArgument } from '../../api/errdefs.js';
import { toProto } from '../metadata/time.js';
import { type Edge, incoming, send } from '../server/grpc.js';
import type { ContentInfo, ContentStatus, ContentStore, ContentWriter } from './store.js';

const BATCH = 100;

const infoMsg = (i: ContentInfo): Info => ({
  digest: i.digest,
  size: i.size,
  createdAt: toProto(i.createdAt),
  updatedAt: toProto(i.updatedAt),
  labels: i.labels,
});

const statusMsg = (s: ContentStatus): Status => ({
  ref: s.ref,
  offset: s.offset,
  total: s.total,
  expected: s.expected,
  startedAt: toProto(s.startedAt),
  updatedAt: toProto(s.updatedAt),
});

export interface ContentServiceHooks {
  afterDelete(): Promise<void>;
}

export function contentService(edge: Edge, store: ContentStore, hooks: ContentServiceHooks): ContentServer {
  return {
    info: edge.unary('Content.Info', async (req, ctx) => ({
      info: infoMsg(await store.info(ctx.ns(), req.digest)),
    })),

    update: edge.unary('Content.Update', async (req, ctx) => {
      if (!req.info) throw invalidArgument('info is required');
      const info = await store.update(ctx.ns(), req.info.digest, req.info.labels, req.updateMask ?? []);
      return { info: infoMsg(info) };
    }),

    list: edge.stream('Content.List', async (req, ctx, call) => {
      let batch: Info[] = [];
      for await (const info of store.list(ctx.ns(), req.filters)) {
        // containerd leaves updated_at unset in List replies.
        batch.push({ ...infoMsg(info), updatedAt: toProto(0n) });
        if (batch.length === BATCH) {
          await send(call, { info: batch });
          batch = [];
        }
      }
      if (batch.length > 0) await send(call, { info: batch });
    }),

    delete: edge.unary('Content.Delete', async (req, ctx): Promise<Empty> => {
      await store.delete(ctx.ns(), req.digest);
      await hooks.afterDelete();
      return {};
    }),

    read: edge.stream('Content.Read', async (req, ctx, call) => {
      for await (const [offset, data] of store.readRange(ctx.ns(), req.digest, req.offset, req.size)) {
        await send(call, { offset, data });
      }
    }),

    status: edge.unary('Content.Status', async (req, ctx) => ({
      status: statusMsg(await store.status(ctx.ns(), req.ref)),
    })),

    listStatuses: edge.unary('Content.ListStatuses', async (req, ctx) => ({
      statuses: (await store.listStatuses(ctx.ns(), req.filters)).map(statusMsg),
    })),

    abort: edge.unary('Content.Abort', async (req, ctx): Promise<Empty> => {
      await store.abort(ctx.ns(), req.ref);
      return {};
    }),

    write: edge.bidi('Content.Write', async (call, ctx) => {
      let ns = '';
      let w: ContentWriter | undefined;
      let total = 0;
      let expected = '';
      try {
        for await (const req of incoming<WriteContentRequest>(call)) {
          if (!w) {
            // Validate only once the first message is in: failing before it reaches the client as a
            // bare EOF on its send instead of our status.
            ns = ctx.ns();
            if (!req.ref) throw invalidArgument('first message must have a reference');
            ctx.log.debug({ ref: req.ref, total: req.total, expected: req.expected }, 'write started');
            w = await store.writer(ns, req.ref, {
              total: req.total,
              expected: req.expected,
              lease: ctx.lease(),
            });
            total = w.total;
            expected = w.expected;
          }
          if (req.total > 0) total = req.total;
          if (req.expected) {
            if (await store.exists(ns, req.expected)) {
              await w.close();
              await store.abort(ns, w.ref).catch(() => undefined);
              w = undefined;
              throw alreadyExists(`blob with expected digest ${req.expected} exists`);
            }
            expected = req.expected;
          }
          const reply: WriteContentResponse = {
            action: req.action,
            startedAt: toProto(w.startedAt),
            updatedAt: toProto(w.updatedAt),
            offset: w.offset(),
            total,
            digest: '',
          };
          if (req.action === WriteAction.STAT) {
            reply.digest = w.digest();
          } else if (req.action === WriteAction.WRITE || req.action === WriteAction.COMMIT) {
            await w.write(req.offset, req.data);
            reply.offset = w.offset();
            reply.updatedAt = toProto(w.updatedAt);
            if (req.action === WriteAction.COMMIT) {
              reply.digest = await w.commit(total, expected, req.labels);
              w = undefined;
              await send(call, reply);
              return;
            }
            reply.digest = w.digest();
          } else {
            throw invalidArgument(`unknown write action ${String(req.action)}`);
          }
          await send(call, reply);
        }
      } finally {
        await w?.close();
      }
    }),
  };
}
