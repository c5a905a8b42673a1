// The event bus inside tsctrd. Stores publish typed events after their writes commit; clients and
// shims publish or forward envelopes; subscribers get every envelope that matches their filters.
import { invalidArgument } from '../../api/errdefs.js';
import { type Filter, type Adaptor, adapt, parseFilters } from '../filters/index.js';
import * as validate from '../validate/validate.js';
import { type Nanos, nowNanos } from '../metadata/time.js';
import { type EventFields, type EventName, decodeEvent, encodeEvent } from '../../api/events.js';

export interface AnyMessage {
  typeUrl: string;
  value: Uint8Array;
}

export interface Envelope {
  timestamp: Nanos;
  namespace: string;
  topic: string;
  event: AnyMessage;
}

export interface EventPublisher {
  publish<N extends EventName>(namespace: string, topic: string, name: N, fields: EventFields<N>): void;
}

type Subscriber = (e: Envelope) => void;

export function validateTopic(topic: string): void {
  if (topic === '') throw invalidArgument('must not be empty: topic');
  if (!topic.startsWith('/')) throw invalidArgument(`must start with '/': topic ${JSON.stringify(topic)}`);
  if (topic.length === 1) throw invalidArgument('must have at least one component: topic');
  for (const part of topic.slice(1).split('/')) {
    if (!/^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/.test(part)) {
      throw invalidArgument(
        `failed validation on component ${JSON.stringify(part)}: topic ${JSON.stringify(topic)}`,
      );
    }
  }
}

export class Exchange implements EventPublisher {
  private readonly subs = new Set<Subscriber>();

  publish<N extends EventName>(namespace: string, topic: string, name: N, fields: EventFields<N>): void {
    this.emit({ timestamp: nowNanos(), namespace, topic, event: encodeEvent(name, fields) });
  }

  /** An envelope from a client's Publish: topic and namespace are checked, the time is ours. */
  publishAny(namespace: string, topic: string, event: AnyMessage): void {
    validate.namespace(namespace);
    validateTopic(topic);
    this.emit({ timestamp: nowNanos(), namespace, topic, event });
  }

  /** An envelope forwarded as is (from a shim), keeping its original timestamp. */
  forward(env: Envelope): void {
    validate.namespace(env.namespace);
    validateTopic(env.topic);
    this.emit(env);
  }

  subscribe(filters: string[], fn: Subscriber): () => void {
    const filter = parseFilters(filters);
    const sub: Subscriber = (e) => {
      if (filter.match(envelopeAdaptor(e))) fn(e);
    };
    this.subs.add(sub);
    return () => this.subs.delete(sub);
  }

  get subscribers(): number {
    return this.subs.size;
  }

  private emit(e: Envelope): void {
    for (const s of this.subs) s(e);
  }
}

function envelopeAdaptor(e: Envelope): Adaptor {
  let decoded: Record<string, unknown> | undefined | null = null;
  const event: Adaptor = (path) => {
    if (decoded === null) decoded = decodeEvent(e.event);
    let v: unknown = decoded;
    for (const p of path) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string, unknown>)[camel(p)] ?? (v as Record<string, unknown>)[p];
    }
    if (v === undefined || v === null || typeof v === 'object' || v === '') return undefined;
    return String(v);
  };
  return adapt({ namespace: e.namespace, topic: e.topic, event });
}

function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

export type { Filter };
