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
import { listTasks } from '../../client/services/tasks.js';

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
    const tasks = await listTasks(c);
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

const start = one('tasks start ID', (c, id) => c.task(id).start());
const pause = one('tasks pause ID', (c, id) => c.task(id).pause());
const resume = one('tasks resume ID', (c, id) => c.task(id).resume());
const kill = one(
  'tasks kill [-s SIGNAL] [-a] [--exec-id E] ID',
  (c, id, v) =>
    c.task(id).kill(signalNumber(String(v.signal ?? 'SIGTERM')), {
      execId: String(v['exec-id'] ?? ''),
      all: Boolean(v.all),
    }),
  {
    signal: { type: 'string', short: 's' },
    all: { type: 'boolean', short: 'a' },
    'exec-id': { type: 'string' },
  },
);
const ps = one('tasks ps ID', async (c, id) => {
  const processes = await c.task(id).pids();
  print(
    table(
      ['PID', 'INFO'],
      processes.map((p) => [String(p.pid), '-']),
    ),
  );
});
const rm = one('tasks rm ID', async (c, id) => {
  const r = await c.task(id).delete();
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
    const spec = await c.container(id).spec<{
      process: { args: string[]; cwd: string; env?: string[]; terminal?: boolean };
    }>();
    const proc = { ...spec.process, args: cmd, terminal: false, ...(values.cwd ? { cwd: values.cwd } : {}) };
    if (values.env) proc.env = [...(proc.env ?? []), ...(values.env as string[])];
    const io = await makeFifos(execId, true);
    try {
      const task = c.task(id);
      await task.exec(execId, proc, {
        stdin: io.stdin,
        stdout: io.stdout,
        stderr: io.stderr,
        terminal: false,
      });
      const waiting = task.wait(execId);
      const attached = io.attach(
        process.stdin.isTTY ? undefined : process.stdin,
        process.stdout,
        process.stderr,
        () => {
          void task.closeStdin(execId).catch(() => undefined);
        },
      );
      await task.start(execId);
      const { exitStatus } = await waiting;
      // Output ends with the process; do not hang on a writer that lingers (a child holding the FIFO).
      await Promise.race([attached, new Promise((r) => setTimeout(r, 2000).unref())]);
      await task.deleteProcess(execId);
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
