// GET /events: the history since `since`, then live events until `until` or the client leaves,
// each through the request's filters.
import type { Filters } from '../wire/filters.js';
import { parseDockerTime } from '../logs/format.js';
import type { Engine } from './engine.js';
import { type DockerEvent, eventMatches } from './events.js';

export async function streamEvents(
  e: Engine,
  o: { since?: string; until?: string; filters: Filters },
  write: (e: DockerEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const untilNs = o.until ? Number(parseDockerTime(o.until)) : undefined;
  const matches = (ev: DockerEvent) =>
    eventMatches(ev, o.filters) && (untilNs === undefined || ev.timeNano <= untilNs);
  const queue: DockerEvent[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = e.events.subscribe((ev) => {
    queue.push(ev);
    wake?.();
  });
  try {
    if (o.since)
      for (const ev of e.events.since(Number(parseDockerTime(o.since)))) if (matches(ev)) write(ev);
    for (;;) {
      if (untilNs !== undefined && Date.now() * 1e6 > untilNs) return;
      while (queue.length > 0) {
        const ev = queue.shift()!;
        if (matches(ev)) write(ev);
      }
      if (signal.aborted) return;
      await new Promise<void>((r) => {
        wake = r;
        const t =
          untilNs !== undefined ? setTimeout(r, Math.max(0, untilNs / 1e6 - Date.now()) + 10) : undefined;
        signal.addEventListener(
          'abort',
          () => {
            if (t) clearTimeout(t);
            r();
          },
          { once: true },
        );
      });
      wake = undefined;
    }
  } finally {
    unsubscribe();
  }
}
