import {
  type Command,
  UsageError,
  json,
  labelArgs,
  parse,
  print,
  subcommands,
  withConnection,
} from './common.js';
import { Kind } from '../../api/gen/containerd/services/snapshots/v1/snapshots.js';
import type { Connection } from '../../client/connection.js';
import { humanSize, labelsText, table } from '../../client/format.js';
import { DEFAULT_SNAPSHOTTER } from '../../client/snapshotter.js';

const kindName: Record<number, string> = {
  [Kind.VIEW]: 'View',
  [Kind.ACTIVE]: 'Active',
  [Kind.COMMITTED]: 'Committed',
};

let snapshotter = process.env.TSCTR_SNAPSHOTTER || DEFAULT_SNAPSHOTTER;

async function listAll(c: Connection, filters: string[] = []) {
  return c.snapshotter(snapshotter).walk(filters);
}

const ls: Command = async (g, args) => {
  const { values, positionals } = parse(args, { format: { type: 'string' } });
  await withConnection(g, async (c) => {
    const infos = await listAll(c, positionals);
    if (values.format === 'json') return json(infos.map((i) => ({ ...i, kind: kindName[i.kind] })));
    print(
      table(
        ['KEY', 'PARENT', 'KIND'],
        infos.map((i) => [i.name, i.parent, kindName[i.kind] ?? 'Unknown']),
      ),
    );
  });
};

const tree: Command = async (g) => {
  await withConnection(g, async (c) => {
    const infos = await listAll(c);
    const children = new Map<string, string[]>();
    for (const i of infos) if (i.parent) children.set(i.parent, [...(children.get(i.parent) ?? []), i.name]);
    const walk = (name: string, level: number) => {
      print(`${'  '.repeat(level)}${level > 0 ? '\\_' : ''} ${name}\n`);
      for (const ch of children.get(name) ?? []) walk(ch, level + 1);
    };
    for (const i of infos) if (!i.parent) walk(i.name, 0);
  });
};

const printMounts = (target: string, mounts: Array<{ type: string; source: string; options: string[] }>) =>
  print(mounts.map((m) => `mount -t ${m.type} ${m.source} ${target} -o ${m.options.join(',')}\n`).join(''));

function makeCreate(kind: 'prepare' | 'view'): Command {
  return async (g, args) => {
    const { values, positionals } = parse(args, {
      target: { type: 'string', short: 't' },
      mounts: { type: 'boolean' },
    });
    const [key, parent = ''] = positionals;
    if (!key) throw new UsageError(`snapshots ${kind} [--target DIR] [--mounts] KEY [PARENT]`);
    await withConnection(g, async (c) => {
      const labels: Record<string, string> =
        kind === 'prepare'
          ? { 'containerd.io/gc.root': new Date().toISOString().replace(/\.\d+Z$/, 'Z') }
          : {};
      const sn = c.snapshotter(snapshotter);
      const mounts =
        kind === 'prepare' ? await sn.prepare(key, parent, labels) : await sn.view(key, parent, labels);
      if (values.target) printMounts(values.target, mounts);
      if (values.mounts) json(mounts);
    });
  };
}

const mounts: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  if (positionals.length !== 2) throw new UsageError('snapshots mounts TARGET KEY');
  await withConnection(g, async (c) => {
    printMounts(positionals[0], await c.snapshotter(snapshotter).mounts(positionals[1]));
  });
};

const commit: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  if (positionals.length !== 2) throw new UsageError('snapshots commit NAME ACTIVE-KEY');
  await withConnection(g, (c) =>
    c.snapshotter(snapshotter).commit(positionals[0], positionals[1], {
      'containerd.io/gc.root': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    }),
  );
};

const rm: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  await withConnection(g, async (c) => {
    for (const key of positionals) await c.snapshotter(snapshotter).remove(key);
  });
};

const usage: Command = async (g, args) => {
  const { values, positionals } = parse(args, { b: { type: 'boolean' } });
  await withConnection(g, async (c) => {
    const keys = positionals.length > 0 ? positionals : (await listAll(c)).map((i) => i.name);
    const rows: string[][] = [];
    for (const key of keys) {
      const u = await c.snapshotter(snapshotter).usage(key);
      rows.push([key, values.b ? String(u.size) : humanSize(u.size), String(u.inodes)]);
    }
    print(table(['KEY', 'SIZE', 'INODES'], rows));
  });
};

const info: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  if (positionals.length !== 1) throw new UsageError('snapshots info KEY');
  await withConnection(g, async (c) => {
    const info = await c.snapshotter(snapshotter).stat(positionals[0]);
    json({ ...info, kind: kindName[info.kind] });
  });
};

const label: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  const [key, ...rest] = positionals;
  if (!key) throw new UsageError('snapshots label KEY [K=V...]');
  const labels = labelArgs(rest);
  await withConnection(g, async (c) => {
    const paths = Object.keys(labels).map((k) => `labels.${k}`);
    const sn = c.snapshotter(snapshotter);
    const info =
      paths.length === 0
        ? await sn.stat(key)
        : await sn.update(
            { name: key, parent: '', kind: 0, labels, createdAt: undefined, updatedAt: undefined },
            paths,
          );
    print(`${labelsText(info.labels).replace(/^-$/, '')}\n`);
  });
};

const table_ = subcommands(
  'snapshots',
  {
    ls,
    tree,
    prepare: makeCreate('prepare'),
    view: makeCreate('view'),
    mounts,
    commit,
    rm,
    usage,
    info,
    label,
  },
  { list: 'ls', remove: 'rm', delete: 'rm', del: 'rm', mount: 'mounts', m: 'mounts' },
);

export const snapshots: Command = async (g, args) => {
  const i = args.findIndex((a) => a === '--snapshotter' || a.startsWith('--snapshotter='));
  if (i >= 0) {
    const a = args[i];
    snapshotter = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1];
    args = [...args.slice(0, i), ...args.slice(i + (a.includes('=') ? 1 : 2))];
  }
  return table_(g, args);
};
