// Benchmark plumbing: start tsctrd and Debian's containerd side by side on private roots and sockets,
// time commands alternately (A B A B …) and report medians and ratios.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, promises as fs, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Daemon {
  name: string;
  address: string;
  root: string;
  proc?: ChildProcess;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function connects(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(address);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function waitSocket(address: string, proc: ChildProcess, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`daemon exited with ${proc.exitCode}`);
    if (existsSync(address) && (await connects(address))) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`no socket at ${address}`);
}

export async function stopProc(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

/** tsctrd makes no TLS connections: start it without NODE_EXTRA_CA_CERTS, as scripts/up.sh does. */
export function daemonEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** tsctrd on its own socket, root and state under `dir`; `extraArgs` go after those (e.g. `--config`). */
export function tsctrd(dir: string, extraArgs: string[] = []): Daemon {
  const d: Daemon = {
    name: 'tsctrd',
    address: path.join(dir, 'tsctrd.sock'),
    root: path.join(dir, 'root'),
    async start() {
      d.proc = spawn(
        process.execPath,
        [
          path.join(REPO, 'dist/tsctrd.js'),
          '--address',
          d.address,
          '--root',
          d.root,
          '--state',
          path.join(dir, 'state'),
          '--log-level',
          'warn',
          ...extraArgs,
        ],
        { stdio: 'ignore', env: daemonEnv() },
      );
      await waitSocket(d.address, d.proc);
    },
    async stop() {
      await stopProc(d.proc);
    },
  };
  return d;
}

export function containerd(dir: string): Daemon {
  mkdirSync(dir, { recursive: true });
  const cfg = path.join(dir, 'config.toml');
  const d: Daemon = {
    name: 'containerd',
    address: path.join(dir, 'containerd.sock'),
    root: path.join(dir, 'root'),
    async start() {
      writeFileSync(
        cfg,
        [
          'version = 2',
          `root = "${d.root}"`,
          `state = "${path.join(dir, 'state')}"`,
          'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]',
          '[grpc]',
          `  address = "${d.address}"`,
          '[ttrpc]',
          `  address = "${d.address}.ttrpc"`,
          '[debug]',
          '  address = ""',
          '  level = "warn"',
          '[metrics]',
          '  address = ""',
          '',
        ].join('\n'),
      );
      d.proc = spawn('containerd', ['--config', cfg], { stdio: 'ignore' });
      await waitSocket(d.address, d.proc);
    },
    async stop() {
      await stopProc(d.proc);
    },
  };
  return d;
}

export function ctr(
  d: Daemon,
  args: string[],
  opts: { input?: string } = {},
): Promise<{ code: number; ms: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const stdin = opts.input ? 'pipe' : 'ignore';
    const p = spawn(
      'sh',
      [
        '-c',
        `exec ctr -a ${d.address} ${args.map((a) => `'${a}'`).join(' ')}${opts.input ? ` < '${opts.input}'` : ''}`,
      ],
      { stdio: [stdin === 'pipe' ? 'ignore' : 'ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    p.stdout!.on('data', (b: Buffer) => (out += b));
    p.stderr!.on('data', (b: Buffer) => (err += b));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code: code ?? 1, ms: performance.now() - t0, out, err }));
  });
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface Row {
  what: string;
  unit: string;
  ours: number[];
  anchor: number[];
  /** true when bigger is better (throughput); the ratio is always ours/anchor of the time-like figure. */
  higherIsBetter?: boolean;
  goal: string;
}

export function report(rows: Row[]): string {
  const lines = [
    '',
    '| what | tsctrd (median) | containerd (median) | ratio tsctrd/containerd | goal |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const a = median(r.ours);
    const b = median(r.anchor);
    const ratio = a / b;
    lines.push(
      `| ${r.what} | ${a.toFixed(1)} ${r.unit} | ${b.toFixed(1)} ${r.unit} | ${ratio.toFixed(2)}× | ${r.goal} |`,
    );
  }
  return lines.join('\n');
}

/** A tmpfs for the bench's data, so disk discard and writeback noise stay out of the figures. */
export async function tmpfs(dir: string, size = '6g'): Promise<() => Promise<void>> {
  await fs.mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return async () => {
    execFileSync('umount', ['-l', dir]);
    await fs.rm(dir, { recursive: true, force: true });
  };
}

/** Debian's dockerd on this machine, if installed (the anchor of the docker rows). */
export function dockerdBinary(): string | undefined {
  return ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((b) => existsSync(b));
}

/** The arguments every bench dockerd starts with: its own socket, roots and pid file under `dir`. */
export function dockerdBaseArgs(dir: string, socket: string): string[] {
  return [
    '-H',
    `unix://${socket}`,
    '--data-root',
    path.join(dir, 'root'),
    '--exec-root',
    path.join(dir, 'exec'),
    '--pidfile',
    path.join(dir, 'dockerd.pid'),
    '--insecure-registry',
    '127.0.0.0/8',
  ];
}
