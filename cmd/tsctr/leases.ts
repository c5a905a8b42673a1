import {
  type Command,
  json,
  labelArgs,
  parse,
  print,
  subcommands,
  tsToDate,
  withConnection,
} from './common.js';
import { labelsText, table } from '../../client/format.js';
import { createLease, deleteLease, listLeases } from '../../client/leases.js';

const ls: Command = async (g, args) => {
  const { values, positionals } = parse(args, {
    quiet: { type: 'boolean', short: 'q' },
    format: { type: 'string' },
  });
  await withConnection(g, async (c) => {
    const leases = await listLeases(c, positionals);
    if (values.format === 'json') return json(leases);
    if (values.quiet) return print(leases.map((l) => `${l.id}\n`).join(''));
    print(
      table(
        ['ID', 'CREATED AT', 'LABELS'],
        leases.map((l) => [l.id, tsToDate(l.createdAt).toISOString(), labelsText(l.labels)]),
      ),
    );
  });
};

const create: Command = async (g, args) => {
  const { values, positionals } = parse(args, {
    id: { type: 'string' },
    expires: { type: 'string', short: 'x', default: '24h' },
  });
  const labels = labelArgs(positionals);
  const ms = parseDuration(String(values.expires));
  if (ms > 0)
    labels['containerd.io/gc.expire'] = new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z');
  await withConnection(g, async (c) => {
    const lease = await createLease(c, values.id ?? '', labels);
    print(`${lease.id}\n`);
  });
};

const rm: Command = async (g, args) => {
  const { values, positionals } = parse(args, { sync: { type: 'boolean' } });
  await withConnection(g, async (c) => {
    for (const id of positionals) {
      await deleteLease(c, id, values.sync ?? false);
      print(`${id}\n`);
    }
  });
};

/** Go-style durations: 90s, 10m, 24h, 1h30m; 0 = never. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * unit[m[2]];
    pos = re.lastIndex;
  }
  if (pos !== s.length || s === '') throw new Error(`invalid duration ${JSON.stringify(s)}`);
  return total;
}

export const leases = subcommands('leases', { ls, create, rm }, { list: 'ls', remove: 'rm', delete: 'rm' });
