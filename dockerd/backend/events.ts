// Docker's event stream: every action on a container, image, volume or network becomes one message,
// kept in a bounded history (for `since`) and fanned out to live subscribers (`docker events`).
import { EventEmitter } from 'node:events';

export type EventType = 'container' | 'image' | 'volume' | 'network' | 'daemon';

export interface DockerEvent {
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

const HISTORY = 1024;

export class EventBus {
  private readonly history: DockerEvent[] = [];
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  get listeners(): number {
    return this.emitter.listenerCount('event');
  }

  publish(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): DockerEvent {
    const nowNs = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const ev: DockerEvent = {
      ...(type === 'container' || type === 'image'
        ? { status: action, id, ...(attributes.image ? { from: attributes.image } : {}) }
        : {}),
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    this.history.push(ev);
    if (this.history.length > HISTORY) this.history.shift();
    this.emitter.emit('event', ev);
    return ev;
  }

  /** Events recorded at or after `sinceNs`. */
  since(sinceNs: number): DockerEvent[] {
    return this.history.filter((e) => e.timeNano >= sinceNs);
  }

  subscribe(fn: (e: DockerEvent) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }
}

/** Docker's event filters: type, event, container, image, volume, network, label. */
export function eventMatches(e: DockerEvent, f: Map<string, string[]>): boolean {
  const any = (key: string, test: (v: string) => boolean) => {
    const values = f.get(key);
    return !values || values.length === 0 || values.some(test);
  };
  const attrs = e.Actor.Attributes;
  const named = (type: EventType) => (v: string) =>
    e.Type === type && (e.Actor.ID === v || e.Actor.ID.startsWith(v) || attrs.name === v);
  return (
    any('type', (v) => v === e.Type) &&
    any('event', (v) => v === e.Action || e.Action.startsWith(`${v}:`)) &&
    any('container', named('container')) &&
    any('volume', named('volume')) &&
    any('network', named('network')) &&
    any(
      'image',
      (v) =>
        (e.Type === 'image' && (e.Actor.ID === v || attrs.name === v)) ||
        (e.Type === 'container' && (attrs.image === v || attrs.image?.split(':')[0] === v)),
    ) &&
    any('label', (v) => {
      const [k, ...rest] = v.split('=');
      return rest.length === 0 ? k in attrs : attrs[k] === rest.join('=');
    })
  );
}
