// The Diff gRPC service: Apply unpacks a layer blob from the content store straight into a
// snapshot's directories; Diff turns an active overlay snapshot's upper dir into a new layer blob.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { DiffServer } from '../../api/gen/containerd/services/diff/v1/diff.js';
import { canceled, invalidArgument, isAlreadyExists, notImplemented } from '../../api/errdefs.js';
import type { ContentStore } from '../content/store.js';
import type { Edge } from '../server/grpc.js';
import { applyLayer } from './apply.js';
import { compressGzip, writeDiff } from './diff.js';
import { layerDirs } from './mounts.js';

const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
const LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export function diffService(edge: Edge, content: ContentStore, snapshotDirs: string[]): DiffServer {
  return {
    apply: edge.unary('Diff.Apply', async (req, ctx) => {
      const ns = ctx.ns();
      const desc = req.diff;
      if (!desc) throw invalidArgument('diff descriptor is required');
      const target = layerDirs(req.mounts, snapshotDirs, true);
      const blob = await content.open(ns, desc.digest);
      const started = performance.now();
      const res = await applyLayer(
        createReadStream(blob.path, { highWaterMark: 1 << 20 }),
        desc.mediaType,
        target,
        ctx.signal,
      ).catch((e: unknown) => {
        if (ctx.signal.aborted) throw canceled(`apply of ${desc.digest} stopped: the caller went away`);
        throw e;
      });
      ctx.log.debug(
        {
          digest: desc.digest,
          diffId: res.diffId,
          size: res.size,
          ms: Math.round(performance.now() - started),
        },
        'layer applied',
      );
      return { applied: { mediaType: LAYER_TAR, digest: res.diffId, size: res.size, annotations: {} } };
    }),

    diff: edge.unary('Diff.Diff', async (req, ctx) => {
      const ns = ctx.ns();
      const mediaType = req.mediaType || LAYER_GZIP;
      if (mediaType !== LAYER_GZIP && mediaType !== LAYER_TAR)
        throw notImplemented(`differ does not support ${mediaType}`);
      const right = layerDirs(req.right, snapshotDirs, false);
      if (right.mode !== 'overlay') throw notImplemented('diff of non-overlay mounts is not supported yet');
      const tar = writeDiff(right.root, right.lowers);
      const stream = mediaType === LAYER_GZIP ? compressGzip(tar) : tar;
      const w = await content.writer(ns, req.ref || `diff-${randomBytes(8).toString('hex')}`, {
        total: 0,
        expected: '',
        lease: ctx.lease(),
      });
      try {
        for await (const chunk of stream) await w.write(w.offset(), chunk as Buffer);
        const size = w.offset();
        let digest: string;
        try {
          digest = await w.commit(0, '', req.labels);
        } catch (e) {
          // The same layer is in the store already (another commit with the same changes, or
          // one a crash cut short): it is the answer, as containerd's differ has it.
          if (!isAlreadyExists(e)) throw e;
          digest = w.digest();
          const labels = Object.keys(req.labels);
          if (labels.length > 0)
            await content.update(
              ns,
              digest,
              req.labels,
              labels.map((k) => `labels.${k}`),
            );
        }
        return { diff: { mediaType, digest, size, annotations: {} } };
      } finally {
        await w.close();
      }
    }),
  };
}
