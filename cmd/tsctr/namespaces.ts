import {
  type Command,
  json,
  labelArgs,
  parse,
  print,
  subcommands,
  UsageError,
  withConnection,
} from './common.js';
import { labelsText, table } from '../../client/format.js';
import {
  createNamespace,
  deleteNamespace,
  listNamespaces,
  updateNamespace,
} from '../../client/services/namespaces.js';

const ls: Command = async (g, args) => {
  const { values } = parse(args, { quiet: { type: 'boolean', short: 'q' }, format: { type: 'string' } });
  await withConnection(g, async (c) => {
    const namespaces = await listNamespaces(c);
    if (values.format === 'json') return json(namespaces);
    if (values.quiet) return print(namespaces.map((n) => `${n.name}\n`).join(''));
    print(
      table(
        ['NAME', 'LABELS'],
        namespaces.map((n) => [n.name, labelsText(n.labels).replace(/^-$/, '')]),
      ),
    );
  });
};

const create: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  const [name, ...labels] = positionals;
  if (!name) throw new UsageError('namespaces create NAME [KEY=VALUE...]');
  await withConnection(g, (c) => createNamespace(c, name, labelArgs(labels)));
};

const label: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  const [name, ...rest] = positionals;
  if (!name) throw new UsageError('namespaces label NAME [KEY=VALUE...]');
  const labels = labelArgs(rest);
  await withConnection(g, (c) =>
    updateNamespace(
      c,
      { name, labels },
      Object.keys(labels).map((k) => `labels.${k}`),
    ),
  );
};

const rm: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  if (positionals.length === 0) throw new UsageError('namespaces rm NAME...');
  let failed = 0;
  await withConnection(g, async (c) => {
    for (const name of positionals) {
      try {
        await deleteNamespace(c, name);
        print(`${name}\n`);
      } catch (e) {
        failed++;
        process.stderr.write(`tsctr: ${name}: ${(e as Error).message}\n`);
      }
    }
  });
  return failed > 0 ? 1 : 0;
};

export const namespaces = subcommands(
  'namespaces',
  { ls, create, label, rm },
  { list: 'ls', remove: 'rm', delete: 'rm' },
);
