import type {
  Envelope as EnvelopeMsg,
  EventsServer,
} from '../../api/gen/containerd/services/events/v1/events.js';
import type { Empty } from '../../api/gen/google/protobuf/empty.js';
import { invalidArgument } from '../../api/errdefs.js';
import { fromProto, toProto } from '../metadata/time.js';
import { type Edge, send } from '../server/grpc.js';
import type { Envelope, Exchange } from './exchange.js';

export const envelopeMsg = (e: Envelope): EnvelopeMsg => ({
  timestamp: toProto(e.timestamp),
  namespace: e.namespace,
  topic: e.topic,
  event: { typeUrl: e.event.typeUrl, value: Buffer.from(e.event.value) },
});

export function eventsService(edge: Edge, exchange: Exchange): EventsServer {
  return {
    publish: edge.unary('Events.Publish', async (req, ctx): Promise<Empty> => {
      if (!req.event) throw invalidArgument('event is required');
      exchange.publishAny(ctx.ns(), req.topic, req.event);
      return {};
    }),
    forward: edge.unary('Events.Forward', async (req): Promise<Empty> => {
      const env = req.envelope;
      if (!env?.event) throw invalidArgument('envelope with an event is required');
      exchange.forward({
        timestamp: fromProto(env.timestamp),
        namespace: env.namespace,
        topic: env.topic,
        event: env.event,
      });
      return {};
    }),
    subscribe: edge.stream('Events.Subscribe', async (req, _ctx, call) => {
      // Not namespace-scoped: every namespace's events unless the filters say otherwise.
      const queue: Envelope[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = exchange.subscribe(req.filters, (e) => {
        queue.push(e);
        wake?.();
      });
      const closed = new Promise<void>((resolve) => {
        call.on('cancelled', resolve);
        call.on('close', resolve);
      });
      try {
        for (;;) {
          while (queue.length > 0) await send(call, envelopeMsg(queue.shift()!));
          const more = new Promise<void>((r) => (wake = r));
          const stop = await Promise.race([more.then(() => false), closed.then(() => true)]);
          wake = undefined;
          if (stop) return;
        }
      } finally {
        unsubscribe();
      }
    }),
  };
}
