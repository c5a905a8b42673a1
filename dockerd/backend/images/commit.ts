// POST /commit (docker commit): the container's changes become one more layer on its image. The
// container is paused meanwhile (unless pause=0), its snapshot diffed by tsctrd into an uncompressed
// layer (digest = diff ID), and a new config (the container's config, --change applied) with the
// parent's layers, history and the new layer is stored and unpacked.
import type { ImageConfig } from '../../../client/images/oci.js';
import { diffMounts } from '../../../client/services/diff.js';
import { parseReference } from '../../../client/remotes/reference.js';
import { Status } from '../../../api/gen/containerd/types/task/task.js';
import { InvalidParameter } from '../../errdefs/index.js';
import type { Engine } from '../engine.js';
import type { ContainerConfig, ContainerRecord } from '../types.js';
import {
  clearCommitPause,
  commitPaused,
  markCommitPause,
  resumeAfterCommit,
  taskState,
} from './commit-pause.js';
import { applyChanges } from './import.js';
import { storeImage, withLease } from './store-image.js';

const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

export interface CommitOptions {
  repo: string;
  tag: string;
  comment: string;
  author: string;
  pause: boolean;
  changes: string[];
  config: ContainerConfig | undefined;
}

/**
 * Pauses the container's task if it still runs. A task that exits meanwhile (runc "not running", a
 * shim closing its ttrpc connection, the task already gone) is not an error: a stopped container's
 * snapshot is committed as it is, as dockerd does. When tsctrd goes away during the pause, the pause
 * may have landed with its answer lost: the mark stays and the resume is retried until it can be.
 */
async function pauseIfRunning(e: Engine, id: string): Promise<boolean> {
  const task = e.c.task(id);
  markCommitPause(e, id);
  try {
    await task.pause();
    return true;
  } catch (err) {
    // undefined: tsctrd unreachable; null: the task is gone.
    const state = await taskState(e, id);
    if (state === undefined) {
      void resumeAfterCommit(e, id);
      throw err;
    }
    if (state?.status === Status.PAUSED) return true;
    clearCommitPause(e, id);
    if (state?.status === Status.RUNNING || state?.status === Status.PAUSING) throw err;
    return false;
  }
}

export async function commitContainer(e: Engine, rec: ContainerRecord, o: CommitOptions): Promise<string> {
  let name: string | undefined;
  if (o.repo) {
    try {
      name = parseReference(o.tag ? `${o.repo}:${o.tag}` : o.repo).string;
    } catch (err) {
      throw new InvalidParameter((err as Error).message);
    }
  }
  const parent = await e.images.resolve(rec.Image);
  const pause = o.pause && rec.State.Running && !rec.State.Paused && (await pauseIfRunning(e, rec.Id));
  try {
    return await withLease(e.c, async (c) => {
      const mounts = await c.snapshotter().mounts(rec.Id);
      const layer = await diffMounts(c, [], mounts, { mediaType: LAYER_TAR });
      if (pause) await resumeAfterCommit(e, rec.Id);
      const pc = parent.config;
      const created = new Date().toISOString();
      const cfg = { ...rec.Config, ...(o.config ?? {}), ...applyChanges(o.changes) };
      const config: ImageConfig & Record<string, unknown> = {
        ...pc,
        created,
        ...(o.author ? { author: o.author } : {}),
        container: rec.Id,
        container_config: rec.Config,
        config: {
          ...(cfg.User ? { User: cfg.User } : {}),
          Env: cfg.Env ?? [],
          ...(cfg.Entrypoint
            ? { Entrypoint: Array.isArray(cfg.Entrypoint) ? cfg.Entrypoint : [cfg.Entrypoint] }
            : {}),
          Cmd: Array.isArray(cfg.Cmd) ? cfg.Cmd : cfg.Cmd ? [cfg.Cmd] : null,
          WorkingDir: cfg.WorkingDir ?? '',
          Labels: cfg.Labels ?? null,
          ...(cfg.ExposedPorts ? { ExposedPorts: cfg.ExposedPorts } : {}),
          ...(cfg.Volumes ? { Volumes: cfg.Volumes } : {}),
          ...(cfg.StopSignal ? { StopSignal: cfg.StopSignal } : {}),
        },
        rootfs: { type: 'layers', diff_ids: [...pc.rootfs.diff_ids, layer.digest] },
        history: [
          ...(pc.history ?? []),
          {
            created,
            ...(o.author ? { author: o.author } : {}),
            ...(o.comment ? { comment: o.comment } : {}),
          },
        ],
      };
      const { id } = await storeImage(c, {
        config,
        layers: [...parent.manifest.layers, { mediaType: LAYER_TAR, digest: layer.digest, size: layer.size }],
        ...(name ? { name } : {}),
      });
      e.containerEvent(rec, 'commit', { comment: o.comment });
      return id;
    });
  } finally {
    if (pause && commitPaused(e, rec.Id)) await resumeAfterCommit(e, rec.Id);
  }
}
