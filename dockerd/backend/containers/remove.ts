// DELETE /containers/{id}: refused while running unless forced; then the task, the tsctrd container,
// its rootfs snapshot, its stdio FIFOs, its record and logs, and (with `v`) its anonymous volumes.
import { rmSync } from 'node:fs';
import { isNotFound } from '../../../api/errdefs.js';
import { listContainers } from '../../../client/services/containers.js';
import { Conflict } from '../../errdefs/index.js';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../types.js';

export async function removeContainer(
  e: Engine,
  rec: ContainerRecord,
  o: { force?: boolean; volumes?: boolean },
): Promise<void> {
  const rt = e.runtime(rec.Id);
  await rt.serial(async () => {
    if (!e.store.has(rec.Id)) return;
    if (rec.State.Restarting && !o.force)
      throw new Conflict(
        `You cannot remove a restarting container ${rec.Id}. Stop the container before attempting removal or force remove`,
      );
    if (rec.State.Running && !rec.State.Restarting) {
      if (!o.force) {
        throw new Conflict(
          `You cannot remove a ${rec.State.Paused ? 'paused' : 'running'} container ${rec.Id}. Stop the container before attempting removal or force remove`,
        );
      }
      rt.removing = true;
      const exited = new Promise<void>((r) => rt.emitter.once('exit', () => r()));
      if (rec.State.Paused)
        await e.c
          .task(rec.Id)
          .resume()
          .catch(() => undefined);
      await e.c
        .task(rec.Id)
        .kill(9, { all: true })
        .catch(() => undefined);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    rt.removing = true;
    if (rt.restartTimer) clearTimeout(rt.restartTimer);
    rt.run?.close();
    // The record goes first: from here on the container is gone for every client. What it held in
    // tsctrd is released right after, off the request's path; a crash in between leaves tsctrd
    // objects without a record, which the next start sweeps (see sweepOrphans).
    e.store.remove(rec.Id);
    if (o.volumes) {
      for (const m of rec.Mounts) {
        if (m.Type === 'volume' && m.anonymous && m.Name) {
          try {
            e.volumes.remove(m.Name);
            e.events.publish('volume', 'destroy', m.Name, { driver: 'local' });
          } catch {
            // still used by another container (--volumes-from): kept
          }
        }
      }
    }
    await rt.exitHooks;
    await e.lifecycle.removed(rec);
    e.containerEvent(rec, 'destroy');
    rt.emitter.emit('removed', rec.State.ExitCode);
    releaseLater(e, rec.Id);
    e.forget(rec.Id);
  });
}

/**
 * Releases a removed container's tsctrd side in the background; when tsctrd cannot be reached
 * (restarting), tries again for two minutes rather than leave it to the next daemon start.
 */
function releaseLater(e: Engine, id: string, attempt = 1): void {
  void releaseTsctrd(e, id).catch((err: Error) => {
    e.log.warn({ id, err: err.message, attempt }, 'releasing a removed container failed');
    if (attempt < 60) setTimeout(() => releaseLater(e, id, attempt + 1), 2000).unref();
  });
}

/** Deletes the task, the tsctrd container, its rootfs snapshot and its FIFOs. */
export async function releaseTsctrd(e: Engine, id: string): Promise<void> {
  // The FIFOs are ours, on this host: they go whatever tsctrd answers.
  rmSync(e.fifoDir(id), { recursive: true, force: true });
  await e.c
    .task(id)
    .kill(9, { all: true })
    .catch(() => undefined);
  for (let i = 0; i < 50; i++) {
    try {
      await e.c.task(id).delete();
      break;
    } catch (err) {
      if (isNotFound(err)) break;
      // still stopping: FailedPrecondition until the kill lands
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await e.c
    .container(id)
    .delete()
    .catch((err) => {
      if (!isNotFound(err)) throw err;
    });
  await e.c
    .snapshotter()
    .remove(id)
    .catch((err) => {
      if (!isNotFound(err)) throw err;
    });
}

/**
 * What a crash left half-done: tsctrd containers, or container rootfs snapshots (keyed by a container
 * id), in our namespace with no record (a removal or a create interrupted). Image layer snapshots
 * are keyed by chain IDs (`sha256:…`) and are left to tsctrd's GC.
 */
export async function sweepOrphans(e: Engine): Promise<number> {
  const containers = await listContainers(e.c);
  const snapshots = await e.c.snapshotter().walk();
  const ids = new Set([
    ...containers.map((c) => c.id),
    ...snapshots.map((i) => i.name).filter((n) => /^[0-9a-f]{64}$/.test(n)),
  ]);
  const orphans = [...ids].filter((id) => !e.store.has(id));
  await Promise.all(orphans.map((id) => releaseTsctrd(e, id).catch(() => undefined)));
  return orphans.length;
}

/**
 * --rm: the container goes once it has exited (or failed to start). A removal that fails (tsctrd
 * restarting, which is also why a start fails) is tried again for a while: the CLI waits for it,
 * and nothing else would remove the container until tsctr-dockerd restarts.
 */
export async function autoRemove(e: Engine, rec: ContainerRecord, attempt = 1): Promise<void> {
  await removeContainer(e, rec, { force: true, volumes: true }).catch((err: Error) => {
    e.log.warn({ id: rec.Id, err: err.message, attempt }, 'auto-remove failed');
    if (attempt >= 60 || !e.store.has(rec.Id)) return;
    setTimeout(() => {
      if (e.store.has(rec.Id)) void autoRemove(e, rec, attempt + 1);
    }, 2000).unref();
  });
}
