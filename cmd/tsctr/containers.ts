import {
  type Command,
  UsageError,
  json,
  labelArgs,
  parse,
  parseHead,
  print,
  subcommands,
  withConnection,
} from './common.js';
import { labelsText, table } from '../../client/format.js';
import { createContainer, deleteContainer } from '../../client/tasks/container.js';
import { listContainers, specOf } from '../../client/services/containers.js';

const create: Command = async (g, args) => {
  const { values, positionals } = parseHead(
    args,
    {
      env: { type: 'string', multiple: true },
      cwd: { type: 'string' },
      label: { type: 'string', multiple: true },
    },
    2,
  );
  const [image, id, ...cmd] = positionals;
  if (!image || !id)
    throw new UsageError('containers create [--env K=V] [--cwd D] [--label K=V] IMAGE ID [CMD…]');
  await withConnection(g, (c) =>
    createContainer(c, {
      id,
      image,
      args: cmd,
      env: (values.env as string[] | undefined) ?? [],
      ...(values.cwd ? { cwd: values.cwd } : {}),
      labels: labelArgs((values.label as string[] | undefined) ?? []),
    }),
  );
};

const ls: Command = async (g, args) => {
  const { values, positionals } = parse(args, {
    quiet: { type: 'boolean', short: 'q' },
    format: { type: 'string' },
  });
  await withConnection(g, async (c) => {
    const containers = await listContainers(c, positionals);
    if (values.format === 'json') return json(containers.map((x) => ({ ...x, spec: undefined })));
    if (values.quiet) return print(containers.map((x) => `${x.id}\n`).join(''));
    print(
      table(
        ['CONTAINER', 'IMAGE', 'RUNTIME'],
        containers.map((x) => [x.id, x.image || '-', x.runtime?.name ?? '-']),
      ),
    );
  });
};

const info: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  if (positionals.length !== 1) throw new UsageError('containers info ID');
  await withConnection(g, async (c) => {
    const container = await c.container(positionals[0]).get();
    json({ ...container, spec: container.spec ? specOf(container) : undefined });
  });
};

const rm: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  let failed = 0;
  await withConnection(g, async (c) => {
    for (const id of positionals) {
      try {
        await deleteContainer(c, id);
        print(`${id}\n`);
      } catch (e) {
        failed++;
        process.stderr.write(`tsctr: ${id}: ${(e as Error).message}\n`);
      }
    }
  });
  return failed ? 1 : 0;
};

const label: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  const [id, ...rest] = positionals;
  if (!id) throw new UsageError('containers label ID [K=V…]');
  const labels = labelArgs(rest);
  await withConnection(g, async (c) => {
    const handle = c.container(id);
    const container = await handle.get();
    const updated = await handle.update(
      { ...container, labels },
      Object.keys(labels).map((k) => `labels.${k}`),
    );
    print(`${labelsText(updated.labels).replace(/^-$/, '')}\n`);
  });
};

export const containers = subcommands(
  'containers',
  { create, ls, info, rm, label },
  { list: 'ls', remove: 'rm', delete: 'rm', del: 'rm' },
);
