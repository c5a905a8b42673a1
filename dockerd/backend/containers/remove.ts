// DELETE /containers/{id}: refused while running unless forced; then the task, the tsctrd container,
// its rootfs snapshot, its stdio FIFOs, its record and logs, and (with `v`) its anonymous volumes.
import { rmSync } from 'node:fs';
import { Conflict } from '../../http/errors.js';
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
    if (rec.State.Running && !rec.State.Restarting) {
      if (!o.force) {
        throw new Conflict(
          `You cannot remove a ${rec.State.Paused ? 'paused' : 'running'} container ${rec.Id}. Stop the container before attempting removal or force remove`,
        );
      }
      rt.removing = true;
      const exited = new Promise<void>((r) => rt.emitter.once('exit', () => r()));
      if (rec.State.Paused)
        await e.c.call(e.c.tasks, e.c.tasks.resume, { containerId: rec.Id }).catch(() => undefined);
      await e.c
        .call(e.c.tasks, e.c.tasks.kill, { containerId: rec.Id, execId: '', signal: 9, all: true })
        .catch(() => undefined);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    rt.removing = true;
    if (rt.restartTimer) clearTimeout(rt.restartTimer);
    rt.run?.close();
    await e.c.call(e.c.tasks, e.c.tasks.delete, { containerId: rec.Id }).catch(() => undefined);
    await e.c.call(e.c.containers, e.c.containers.delete, { id: rec.Id }).catch(() => undefined);
    await e.c
      .call(e.c.snapshots, e.c.snapshots.remove, { snapshotter: 'overlayfs', key: rec.Id })
      .catch(() => undefined);
    rmSync(e.fifoDir(rec.Id), { recursive: true, force: true });
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
    e.containerEvent(rec, 'destroy');
    rt.emitter.emit('removed', rec.State.ExitCode);
    e.forget(rec.Id);
  });
}
