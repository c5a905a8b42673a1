// Typed calls on tsctrd's Events service: a subscription as an async iterable of envelopes.
import type { Envelope } from '../../api/gen/containerd/services/events/v1/events.js';
import { type Connection, mapError } from '../connection.js';

export type { Envelope };

/**
 * Events matching `filters` (containerd's filter syntax) from every namespace, until `signal` aborts
 * (the iteration then ends quietly) or the connection fails (it throws).
 */
export async function* subscribe(
  c: Connection,
  filters: string[] = [],
  signal?: AbortSignal,
): AsyncIterable<Envelope> {
  const stream = c.events.subscribe({ filters }, c.metadata());
  const cancel = () => stream.cancel();
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for await (const env of stream) yield env as Envelope;
  } catch (e) {
    if (!signal?.aborted) throw mapError(e);
  } finally {
    signal?.removeEventListener('abort', cancel);
    stream.cancel();
  }
}
