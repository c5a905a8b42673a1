import { type Command, parse, print, tsToDate, withConnection } from './common.js';
import { describeEvent } from '../../client/events.js';

/** Streams events as `<time> <namespace> <topic> <event JSON>` until interrupted. */
export const events: Command = async (g, args) => {
  const { values, positionals } = parse(args, { format: { type: 'string' } });
  await withConnection(g, async (c) => {
    const stream = c.events.subscribe({ filters: positionals }, c.metadata());
    process.once('SIGINT', () => stream.cancel());
    process.once('SIGTERM', () => stream.cancel());
    try {
      for await (const env of stream) {
        const e = env as {
          timestamp?: { seconds: number; nanos: number };
          namespace: string;
          topic: string;
          event?: { typeUrl: string; value: Buffer };
        };
        const body = e.event ? describeEvent(e.event) : {};
        if (values.format === 'json') {
          print(
            `${JSON.stringify({ timestamp: tsToDate(e.timestamp).toISOString(), namespace: e.namespace, topic: e.topic, event: body })}\n`,
          );
        } else {
          print(`${formatTime(e.timestamp)} ${e.namespace} ${e.topic} ${JSON.stringify(body)}\n`);
        }
      }
    } catch (err) {
      if ((err as { code?: number }).code !== 1) throw err; // 1 = cancelled by us
    }
  });
};

/** Go's default time format, as ctr prints it: 2026-11-23 16:39:51.506150987 +0000 UTC */
function formatTime(t: { seconds: number; nanos: number } | undefined): string {
  const d = tsToDate(t);
  const iso = d.toISOString();
  const nanos = String(t?.nanos ?? 0)
    .padStart(9, '0')
    .replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${nanos ? `.${nanos}` : ''} +0000 UTC`;
}
