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
    const { containers } = await c.call(c.containers, c.containers.list, { filters: positionals });
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
    const { container } = await c.call(c.containers, c.containers.get, { id: positionals[0] });
    json({
      ...container,
      spec: container?.spec ? JSON.parse(Buffer.from(container.spec.value).toString()) : undefined,
    });
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
    const { container } = await c.call(c.containers, c.containers.get, { id });
    const r = await c.call(c.containers, c.containers.update, {
      container: { ...container!, labels },
      updateMask: Object.keys(labels).map((k) => `labels.${k}`),
    });
    print(`${labelsText(r.container?.labels).replace(/^-$/, '')}\n`);
  });
};

export const containers = subcommands(
  'containers',
  { create, ls, info, rm, label },
  { list: 'ls', remove: 'rm', delete: 'rm', del: 'rm' },
);
