// What every tsctr subcommand shares: the connection, output format, argument helpers.
import { parseArgs } from 'node:util';
import { Connection } from '../../client/connection.js';

export interface Globals {
  address: string;
  namespace: string;
  timeoutMs: number;
}

export type Command = (g: Globals, args: string[]) => Promise<number | void>;

export class UsageError extends Error {}

export function connect(g: Globals): Connection {
  return new Connection({ address: g.address, namespace: g.namespace, timeoutMs: g.timeoutMs });
}

/** Runs `fn` with a connection and closes it afterwards. */
export async function withConnection<T>(g: Globals, fn: (c: Connection) => Promise<T>): Promise<T> {
  const c = connect(g);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

type OptionSpec = Record<
  string,
  { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }
>;

export function parse<T extends OptionSpec>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** `k=v` arguments into a map (a bare `k` or `k=` means an empty value, i.e. removal). */
export function labelArgs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i === 0) throw new UsageError(`invalid label ${JSON.stringify(a)}: key is empty`);
    if (i < 0) out[a] = '';
    else out[a.slice(0, i)] = a.slice(i + 1);
  }
  return out;
}

export function print(s: string): void {
  process.stdout.write(s);
}

export function json(v: unknown): void {
  process.stdout.write(
    `${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`,
  );
}

/** Dispatches `args[0]` to a subcommand table, with aliases. */
export function subcommands(
  name: string,
  table: Record<string, Command>,
  aliases: Record<string, string> = {},
): Command {
  return async (g, args) => {
    const sub = args[0];
    const fn = sub ? table[aliases[sub] ?? sub] : undefined;
    if (!fn) {
      throw new UsageError(
        `${sub ? `unknown command "${name} ${sub}"` : `${name} needs a subcommand`}; one of: ${Object.keys(table).join(', ')}`,
      );
    }
    return fn(g, args.slice(1));
  };
}

export const tsToDate = (t: { seconds: number; nanos: number } | undefined): Date =>
  new Date(t ? t.seconds * 1000 + Math.floor(t.nanos / 1e6) : 0);

/**
 * Like `parse`, but options stop after `count` positionals: the rest is a command line of its own
 * (`run IMAGE ID sh -c '…'`), passed through untouched.
 */
export function parseHead<T extends OptionSpec>(args: string[], options: T, count: number) {
  let seen = 0;
  let i = 0;
  for (; i < args.length && seen < count; i++) {
    const a = args[i];
    if (a === '--') break;
    if (a.startsWith('-') && a !== '-') {
      const name = a.replace(/^--?/, '').split('=')[0];
      const spec = Object.entries(options).find(([k, v]) => k === name || v.short === name)?.[1];
      if (spec?.type === 'string' && !a.includes('=')) i++;
    } else seen++;
  }
  const head = args.slice(0, i);
  const rest = args[i] === '--' ? args.slice(i + 1) : args.slice(i);
  const r = parse(head, options);
  return { values: r.values, positionals: [...r.positionals, ...rest] };
}
