import { constants } from 'node:os';
import {
  type Command,
  UsageError,
  json,
  parse,
  parseHead,
  print,
  subcommands,
  withConnection,
} from './common.js';
import { Status } from '../../api/gen/containerd/types/task/task.js';
import { table } from '../../client/format.js';
import { makeFifos } from '../../client/tasks/fifo.js';

const statusName: Record<number, string> = {
  [Status.UNKNOWN]: 'UNKNOWN',
  [Status.CREATED]: 'CREATED',
  [Status.RUNNING]: 'RUNNING',
  [Status.STOPPED]: 'STOPPED',
  [Status.PAUSED]: 'PAUSED',
  [Status.PAUSING]: 'PAUSING',
};

function signalNumber(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const name = (s.startsWith('SIG') ? s : `SIG${s}`).toUpperCase() as keyof typeof constants.signals;
  const n = constants.signals[name];
  if (n === undefined) throw new UsageError(`unknown signal ${s}`);
  return n;
}

const ls: Command = async (g, args) => {
  const { values } = parse(args, { quiet: { type: 'boolean', short: 'q' }, format: { type: 'string' } });
  await withConnection(g, async (c) => {
    const { tasks } = await c.call(c.tasks, c.tasks.list, { filter: '' });
    if (values.format === 'json') return json(tasks);
    if (values.quiet) return print(tasks.map((t) => `${t.id}\n`).join(''));
    print(
      table(
        ['TASK', 'PID', 'STATUS'],
        tasks.map((t) => [t.id, String(t.pid), statusName[t.status] ?? 'UNKNOWN']),
      ),
    );
  });
};

const one =
  (
    usage: string,
    fn: (
      c: Parameters<Parameters<typeof withConnection>[1]>[0],
      id: string,
      v: Record<string, unknown>,
    ) => Promise<unknown>,
    opts = {},
  ): Command =>
  async (g, args) => {
    const { values, positionals } = parse(args, opts);
    if (positionals.length !== 1) throw new UsageError(usage);
    await withConnection(g, (c) => fn(c, positionals[0], values));
  };

const start = one('tasks start ID', (c, id) =>
  c.call(c.tasks, c.tasks.start, { containerId: id, execId: '' }),
);
const pause = one('tasks pause ID', (c, id) => c.call(c.tasks, c.tasks.pause, { containerId: id }));
const resume = one('tasks resume ID', (c, id) => c.call(c.tasks, c.tasks.resume, { containerId: id }));
const kill = one(
  'tasks kill [-s SIGNAL] [-a] [--exec-id E] ID',
  (c, id, v) =>
    c.call(c.tasks, c.tasks.kill, {
      containerId: id,
      execId: String(v['exec-id'] ?? ''),
      signal: signalNumber(String(v.signal ?? 'SIGTERM')),
      all: Boolean(v.all),
    }),
  {
    signal: { type: 'string', short: 's' },
    all: { type: 'boolean', short: 'a' },
    'exec-id': { type: 'string' },
  },
);
const ps = one('tasks ps ID', async (c, id) => {
  const { processes } = await c.call(c.tasks, c.tasks.listPids, { containerId: id });
  print(
    table(
      ['PID', 'INFO'],
      processes.map((p) => [String(p.pid), '-']),
    ),
  );
});
const rm = one('tasks rm ID', async (c, id) => {
  const r = await c.call(c.tasks, c.tasks.delete, { containerId: id });
  if (r.exitStatus !== 0) process.stderr.write(`tsctr: task ${id} exited with status ${r.exitStatus}\n`);
  print(`${id}\n`);
});

const exec: Command = async (g, args) => {
  const { values, positionals } = parseHead(
    args,
    { 'exec-id': { type: 'string' }, cwd: { type: 'string' }, env: { type: 'string', multiple: true } },
    1,
  );
  const [id, ...cmd] = positionals;
  const execId = values['exec-id'];
  if (!id || !execId || cmd.length === 0) throw new UsageError('tasks exec --exec-id E ID CMD…');
  return withConnection(g, async (c) => {
    const { container } = await c.call(c.containers, c.containers.get, { id });
    const spec = JSON.parse(Buffer.from(container!.spec!.value).toString()) as {
      process: { args: string[]; cwd: string; env?: string[]; terminal?: boolean };
    };
    const proc = { ...spec.process, args: cmd, terminal: false, ...(values.cwd ? { cwd: values.cwd } : {}) };
    if (values.env) proc.env = [...(proc.env ?? []), ...(values.env as string[])];
    const io = await makeFifos(execId, true);
    try {
      await c.call(c.tasks, c.tasks.exec, {
        containerId: id,
        execId,
        stdin: io.stdin,
        stdout: io.stdout,
        stderr: io.stderr,
        terminal: false,
        spec: {
          typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Process',
          value: Buffer.from(JSON.stringify(proc)),
        },
      });
      const waiting = c.call(c.tasks, c.tasks.wait, { containerId: id, execId }, { noDeadline: true });
      const attached = io.attach(
        process.stdin.isTTY ? undefined : process.stdin,
        process.stdout,
        process.stderr,
        () => {
          void c
            .call(c.tasks, c.tasks.closeIo, { containerId: id, execId, stdin: true })
            .catch(() => undefined);
        },
      );
      await c.call(c.tasks, c.tasks.start, { containerId: id, execId });
      const { exitStatus } = await waiting;
      // Output ends with the process; do not hang on a writer that lingers (a child holding the FIFO).
      await Promise.race([attached, new Promise((r) => setTimeout(r, 2000).unref())]);
      await c.call(c.tasks, c.tasks.deleteProcess, { containerId: id, execId });
      return exitStatus;
    } finally {
      io.close();
    }
  });
};

export const tasks = subcommands(
  'tasks',
  { ls, start, kill, pause, resume, ps, rm, exec },
  { list: 'ls', remove: 'rm', delete: 'rm' },
);
