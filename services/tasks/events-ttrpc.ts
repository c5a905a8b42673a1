// The ttrpc side door shims use to hand task events to the daemon's exchange.
import { EventsService } from '../../api/gen/containerd/services/events/ttrpc/v1/events.js';
import { invalidArgument } from '../../api/errdefs.js';
import { TtrpcServer } from '../../api/ttrpc/index.js';
import type { Exchange } from '../events/exchange.js';
import { fromProto } from '../metadata/time.js';

export function shimEventsServer(exchange: Exchange): TtrpcServer {
  const s = new TtrpcServer();
  s.registerService(EventsService, {
    forward: async (req) => {
      const e = req.envelope;
      if (!e?.event) throw invalidArgument('envelope with an event is required');
      exchange.forward({
        timestamp: fromProto(e.timestamp),
        namespace: e.namespace,
        topic: e.topic,
        event: e.event,
      });
      return {};
    },
  });
  return s;
}
