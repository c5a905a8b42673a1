// tsctr: the debug CLI for tsctrd (like ctr). Global flags, then a command group.
import { TsctrError } from '../api/errdefs.js';
import { DEFAULT_ADDRESS, DEFAULT_NAMESPACE } from '../client/connection.js';
import { type Command, type Globals, UsageError } from './tsctr/common.js';
import { content } from './tsctr/content.js';
import { events } from './tsctr/events.js';
import { leases } from './tsctr/leases.js';
import { namespaces } from './tsctr/namespaces.js';
import { version } from './tsctr/version.js';
import { images } from './tsctr/images.js';
import { snapshots } from './tsctr/snapshots.js';
import { containers } from './tsctr/containers.js';
import { tasks } from './tsctr/tasks.js';
import { run } from './tsctr/run.js';

const commands: Record<string, Command> = {
  version,
  namespaces,
  content,
  leases,
  events,
  images,
  snapshots,
  containers,
  tasks,
  run,
};
const aliases: Record<string, string> = {
  ns: 'namespaces',
  namespace: 'namespaces',
  l: 'leases',
  lease: 'leases',
  i: 'images',
  image: 'images',
  snapshot: 'snapshots',
};

const usage = `usage: tsctr [--address SOCK] [--namespace NS] [--timeout SECONDS] COMMAND [ARGS...]

commands:
  version                         client and server versions
  namespaces ls|create|rm|label   manage namespaces
  content ls|get|ingest|rm|label|active
  leases ls|create|rm
  images pull|push|ls|rm|tag|check|mount|unmount
  snapshots ls|tree|prepare|view|mounts|commit|rm|usage|info|label
  containers create|ls|info|rm|label
  tasks ls|start|kill|pause|resume|ps|rm|exec
  run [-d] [--rm] [--env K=V] [--mount …] [--cwd D] [--user U] [--memory-limit N] [--cpus N] IMAGE ID [CMD…]
  events [FILTER...]              stream events

environment: TSCTR_ADDRESS (default ${DEFAULT_ADDRESS}), TSCTR_NAMESPACE (default ${DEFAULT_NAMESPACE})
`;

function globals(argv: string[]): { g: Globals; rest: string[] } {
  const g: Globals = {
    address: process.env.TSCTR_ADDRESS || DEFAULT_ADDRESS,
    namespace: process.env.TSCTR_NAMESPACE || DEFAULT_NAMESPACE,
    timeoutMs: 30_000,
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = () =>
      inline ??
      argv[++i] ??
      (() => {
        throw new UsageError(`${flag} needs a value`);
      })();
    if (flag === '--address' || flag === '-a') g.address = value();
    else if (flag === '--namespace' || flag === '-n') g.namespace = value();
    else if (flag === '--timeout') g.timeoutMs = Number(value()) * 1000;
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(usage);
      process.exit(0);
    } else if (a.startsWith('-')) throw new UsageError(`unknown flag ${a}`);
    else break;
  }
  return { g, rest: argv.slice(i) };
}

async function main(): Promise<number> {
  const { g, rest } = globals(process.argv.slice(2));
  const name = rest[0];
  if (!name) {
    process.stderr.write(usage);
    return 2;
  }
  const cmd = commands[aliases[name] ?? name];
  if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  return (await cmd(g, rest.slice(1))) ?? 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`tsctr: ${e.message}\n`);
      process.exit(2);
    }
    const msg =
      e instanceof TsctrError
        ? `${e.message}: ${e.kind.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`
        : e instanceof Error
          ? e.message
          : String(e);
    process.stderr.write(`tsctr: ${msg}\n`);
    process.exit(1);
  },
);
