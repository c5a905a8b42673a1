// Task events to the daemon over ttrpc (containerd.services.events.ttrpc.v1.Events/Forward). Queued
// in order and retried while the daemon is away (restarting, or killed), so no exit is lost.
import { encodeTaskEvent, type TaskEventFields, type TaskEventName } from '../api/task-events.js';
import { EventsService } from '../api/gen/containerd/services/events/ttrpc/v1/events.js';
import { TtrpcClient } from '../api/ttrpc/index.js';

interface Pending {
  topic: string;
  event: { typeUrl: string; value: Uint8Array };
  at: bigint;
}

export class EventForwarder {
  private queue: Pending[] = [];
  private client: TtrpcClient | undefined;
  private busy = false;

  constructor(
    private readonly address: string,
    private readonly namespace: string,
  ) {}

  publish<N extends TaskEventName>(topic: string, name: N, fields: TaskEventFields<N>): void {
    this.queue.push({ topic, event: encodeTaskEvent(name, fields), at: BigInt(Date.now()) * 1_000_000n });
    void this.flush();
  }

  private async flush(): Promise<void> {
    if (this.busy || !this.address) return;
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const e = this.queue[0];
        try {
          if (!this.client)
            this.client = await TtrpcClient.connect(this.address.replace(/^unix:\/\//, ''), {
              timeoutMs: 2000,
            });
          const svc = this.client.client(EventsService);
          await svc.forward({
            envelope: {
              timestamp: { seconds: Number(e.at / 1_000_000_000n), nanos: Number(e.at % 1_000_000_000n) },
              namespace: this.namespace,
              topic: e.topic,
              event: { typeUrl: e.event.typeUrl, value: Buffer.from(e.event.value) },
            },
          });
          this.queue.shift();
        } catch {
          this.client?.close();
          this.client = undefined;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** Waits (bounded) for queued events to go out, e.g. before exiting. */
  async drain(ms = 2000): Promise<void> {
    const end = Date.now() + ms;
    while (this.queue.length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }
}
