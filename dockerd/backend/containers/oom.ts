// State.OOMKilled: tsctrd's shims publish /tasks/oom when a container's cgroup counts an OOM kill; as
// dockerd does, the container is marked and an `oom` event published. The subscription is kept for the
// daemon's life, re-established when tsctrd restarts.
import { decodeEvent } from '../../../api/events.js';
import { subscribe } from '../../../client/services/events.js';
import type { Engine } from '../engine.js';
import { NAMESPACE } from '../spec.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Marks the container of one TaskOOM event. */
export function recordOom(e: Engine, id: string): void {
  if (!e.store.has(id)) return;
  const rec = e.store.get(id);
  rec.State = { ...rec.State, OOMKilled: true };
  e.store.save(rec);
  e.containerEvent(rec, 'oom');
  e.log.info({ id }, 'container killed by the OOM killer');
}

/** Follows OOM events until `signal` aborts. */
export function watchOom(e: Engine, signal: AbortSignal): void {
  void (async () => {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const filters = [`topic=="/tasks/oom",namespace==${NAMESPACE}`];
        for await (const env of subscribe(e.c, filters, signal)) {
          attempt = 0;
          const ev = env.event ? decodeEvent(env.event) : undefined;
          const id = ev?.containerId;
          if (typeof id === 'string') recordOom(e, id);
        }
      } catch (err) {
        if (signal.aborted) return;
        e.log.debug({ err }, 'OOM event subscription lost; retrying');
      }
      await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
    }
  })();
}
