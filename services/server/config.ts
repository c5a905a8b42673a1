// tsctrd's configuration: embedded defaults, then /etc/tsctr/config.toml (or --config), then flags.
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { invalidArgument } from '../../api/errdefs.js';
import { type CriConfig, criDefaults, parseCriConfig } from '../cri/config.js';

export interface DaemonConfig {
  root: string;
  state: string;
  address: string;
  logLevel: string;
  gc: { mutationThreshold: number; periodMs: number };
  cri: CriConfig;
}

export const DEFAULT_CONFIG_PATH = '/etc/tsctr/config.toml';

export const defaults = (): DaemonConfig => ({
  root: '/var/lib/tsctr',
  state: '/run/tsctr',
  address: '/run/tsctr/tsctrd.sock',
  logLevel: 'info',
  gc: { mutationThreshold: 100, periodMs: 30_000 },
  cri: criDefaults(),
});

type Toml = Record<string, unknown>;

function str(t: Toml, key: string, fallback: string): string {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw invalidArgument(`config: ${key} must be a string`);
  return v;
}

function num(t: Toml, key: string, fallback: number): number {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw invalidArgument(`config: ${key} must be a non-negative number`);
  return v;
}

function table(t: Toml, key: string): Toml {
  const v = t[key];
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw invalidArgument(`config: [${key}] must be a table`);
  return v as Toml;
}

/**
 * Reads the TOML file at `file`. A missing file at the default path means "all defaults"; a missing
 * file the user named is an error.
 */
export function loadConfig(file: string | undefined): DaemonConfig {
  const d = defaults();
  const path = file ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (file === undefined && (e as NodeJS.ErrnoException).code === 'ENOENT') return d;
    throw invalidArgument(`config ${path}: ${(e as Error).message}`);
  }
  let t: Toml;
  try {
    t = parse(text) as Toml;
  } catch (e) {
    throw invalidArgument(`config ${path}: ${(e as Error).message}`);
  }
  const grpc = table(t, 'grpc');
  const log = table(t, 'log');
  const gc = table(t, 'gc');
  return {
    root: str(t, 'root', d.root),
    state: str(t, 'state', d.state),
    address: str(grpc, 'address', d.address),
    logLevel: str(log, 'level', d.logLevel),
    gc: {
      mutationThreshold: num(gc, 'mutation_threshold', d.gc.mutationThreshold),
      periodMs: num(gc, 'period_ms', d.gc.periodMs),
    },
    cri: parseCriConfig(t),
  };
}
