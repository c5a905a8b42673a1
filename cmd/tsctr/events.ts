import { type Command, parse, print, tsToDate, withConnection } from './common.js';
import { describeEvent } from '../../client/events.js';
import { subscribe } from '../../client/services/events.js';

/** Streams events as `<time> <namespace> <topic> <event JSON>` until interrupted. */
export const events: Command = async (g, args) => {
  const { values, positionals } = parse(args, { format: { type: 'string' } });
  await withConnection(g, async (c) => {
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    for await (const e of subscribe(c, positionals, stop.signal)) {
      const body = e.event ? describeEvent(e.event) : {};
      if (values.format === 'json') {
        print(
          `${JSON.stringify({ timestamp: tsToDate(e.timestamp).toISOString(), namespace: e.namespace, topic: e.topic, event: body })}\n`,
        );
      } else {
        print(`${formatTime(e.timestamp)} ${e.namespace} ${e.topic} ${JSON.stringify(body)}\n`);
      }
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
