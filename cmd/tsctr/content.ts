import { createReadStream } from 'node:fs';
import {
  type Command,
  UsageError,
  json,
  labelArgs,
  parse,
  print,
  subcommands,
  tsToDate,
  withConnection,
} from './common.js';
import { readBlob, writeBlob } from '../../client/content.js';
import { humanDuration, humanSize, labelsText, table } from '../../client/format.js';
import {
  contentInfo,
  deleteContent,
  listContent,
  listIngests,
  setContentLabels,
} from '../../client/services/content.js';

const ls: Command = async (g, args) => {
  const { values, positionals } = parse(args, {
    quiet: { type: 'boolean', short: 'q' },
    format: { type: 'string' },
  });
  await withConnection(g, async (c) => {
    const infos = await listContent(c, positionals);
    if (values.format === 'json') return json(infos);
    if (values.quiet) return print(infos.map((i) => `${i.digest}\n`).join(''));
    const now = Date.now();
    print(
      table(
        ['DIGEST', 'SIZE', 'AGE', 'LABELS'],
        infos.map((i) => [
          i.digest,
          humanSize(i.size),
          humanDuration(now - tsToDate(i.createdAt).getTime()),
          labelsText(i.labels),
        ]),
      ),
    );
  });
};

const get: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  if (positionals.length !== 1) throw new UsageError('content get DIGEST');
  await withConnection(g, async (c) => {
    for await (const chunk of readBlob(c, positionals[0])) {
      if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
    }
  });
};

const ingest: Command = async (g, args) => {
  const { values, positionals } = parse(args, {
    'expected-size': { type: 'string' },
    'expected-digest': { type: 'string' },
    label: { type: 'string', multiple: true },
    file: { type: 'string', short: 'f' },
  });
  const ref = positionals[0];
  if (!ref)
    throw new UsageError('content ingest [--expected-size N] [--expected-digest D] [-f FILE] REF < data');
  const source = values.file ? createReadStream(values.file, { highWaterMark: 1 << 20 }) : process.stdin;
  await withConnection(g, async (c) => {
    const r = await writeBlob(c, ref, source, {
      total: values['expected-size'] ? Number(values['expected-size']) : 0,
      expected: values['expected-digest'] ?? '',
      labels: labelArgs((values.label as string[] | undefined) ?? []),
    });
    print(`${r.digest}\n`);
  });
};

const rm: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  let failed = 0;
  await withConnection(g, async (c) => {
    for (const digest of positionals) {
      try {
        await deleteContent(c, digest);
        print(`${digest}\n`);
      } catch (e) {
        failed++;
        process.stderr.write(`tsctr: could not delete ${digest}: ${(e as Error).message}\n`);
      }
    }
  });
  return failed > 0 ? 1 : 0;
};

const label: Command = async (g, args) => {
  const { positionals } = parse(args, {});
  const [digest, ...rest] = positionals;
  if (!digest) throw new UsageError('content label DIGEST [KEY=VALUE...]');
  const labels = labelArgs(rest);
  await withConnection(g, async (c) => {
    const info =
      Object.keys(labels).length === 0
        ? await contentInfo(c, digest)
        : await setContentLabels(c, digest, labels);
    print(`${labelsText(info.labels).replace(/^-$/, '')}\n`);
  });
};

const active: Command = async (g, args) => {
  const { values, positionals } = parse(args, { format: { type: 'string' } });
  const filters = positionals[0] ? [`ref~=${JSON.stringify(positionals[0])}`] : [];
  await withConnection(g, async (c) => {
    const statuses = await listIngests(c, filters);
    if (values.format === 'json') return json(statuses);
    const now = Date.now();
    print(
      table(
        ['REF', 'SIZE', 'AGE'],
        statuses.map((s) => [
          s.ref,
          humanSize(s.offset),
          humanDuration(now - tsToDate(s.startedAt).getTime()),
        ]),
      ),
    );
  });
};

export const content = subcommands(
  'content',
  { ls, get, ingest, rm, label, active },
  { list: 'ls', remove: 'rm', delete: 'rm', del: 'rm' },
);
