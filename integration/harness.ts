// Test harness: a real tsctrd on a temporary root/state/socket, and the real clients (ctr, tsctr)
// run against it as child processes. Everything is cleaned up even when a test fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(REPO, 'dist');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  opts: { input?: Buffer | string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
    child.stdin.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Something accepts connections on this unix socket. */
export function answers(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(address);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class Tsctrd {
  proc: ChildProcess | undefined;
  /** This process's log (reset at each start). */
  stderr = '';
  /** Every run's log, restarts included (chaos reports read it). */
  history = '';
  readonly address: string;
  readonly root: string;
  readonly state: string;

  constructor(readonly dir: string) {
    this.address = path.join(dir, 'tsctrd.sock');
    this.root = path.join(dir, 'root');
    this.state = path.join(dir, 'state');
  }

  static async start(extraArgs: string[] = []): Promise<Tsctrd> {
    const d = new Tsctrd(mkdtempSync(path.join(os.tmpdir(), 'tsctr-it-')));
    await d.start(extraArgs);
    return d;
  }

  args(extra: string[] = []): string[] {
    return [
      path.join(DIST, 'tsctrd.js'),
      '--address',
      this.address,
      '--root',
      this.root,
      '--state',
      this.state,
      '--log-level',
      'warn',
      ...extra,
    ];
  }

  async start(extraArgs: string[] = []): Promise<void> {
    this.stderr = '';
    const proc = spawn(process.execPath, this.args(extraArgs), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.history += d.toString();
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`tsctrd exited ${proc.exitCode}: ${this.stderr}`);
      if (existsSync(this.address) && (await answers(this.address))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`tsctrd did not start: ${this.stderr}`);
  }

  /** kill -9: no chance to clean up. */
  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<number | null> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return p?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /**
   * Stops the daemon, kills the shims and container processes it left (tests that failed half-way;
   * a container's process outlives its shim, and holds its network namespace and veth), unmounts,
   * removes the dir.
   */
  async cleanup(): Promise<void> {
    await this.stop();
    // Containers whose shim is already gone (reparented to init) are found by their cgroup.
    const ids = new Set<string>();
    for (const ns of await fs.readdir(path.join(this.state, 'tasks')).catch(() => [] as string[]))
      for (const id of await fs.readdir(path.join(this.state, 'tasks', ns)).catch(() => [] as string[]))
        ids.add(id);
    if (ids.size > 0) {
      for (const p of await fs.readdir('/proc')) {
        if (!/^\d+$/.test(p)) continue;
        const cg = await fs.readFile(`/proc/${p}/cgroup`, 'utf8').catch(() => '');
        const id = /\/([0-9a-zA-Z_.-]+)\n/.exec(cg.split('\n').find((l) => l.startsWith('0::')) + '\n')?.[1];
        if (id && ids.has(id)) {
          try {
            process.kill(Number(p), 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }
    const shims = new Set<number>();
    const parents = new Map<number, number>();
    for (const p of await fs.readdir('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      const cmd = await fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes('tsctr-shim') && cmd.includes(this.address)) shims.add(Number(p));
      const stat = await fs.readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid) parents.set(Number(p), ppid);
    }
    // A container's first process is a child of its shim; killing it ends its whole pid namespace.
    const doomed = [...[...parents].filter(([, ppid]) => shims.has(ppid)).map(([pid]) => pid), ...shims];
    for (const pid of doomed) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const mounts = (await fs.readFile('/proc/mounts', 'utf8'))
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter((m) => m && m.startsWith(this.dir))
      .sort()
      .reverse();
    for (const m of mounts) await run('umount', ['-l', m]);
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  /** The real ctr from Debian's containerd package, pointed at this daemon. */
  ctr(
    args: string[],
    opts: { input?: Buffer | string; ns?: string; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    return run('ctr', ['-a', this.address, ...(opts.ns ? ['-n', opts.ns] : []), ...args], opts);
  }

  tsctr(
    args: string[],
    opts: { input?: Buffer | string; ns?: string; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    return run(
      process.execPath,
      [path.join(DIST, 'tsctr.js'), '-a', this.address, ...(opts.ns ? ['-n', opts.ns] : []), ...args],
      opts,
    );
  }
}

/** Every file below `dir`, relative, sorted. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(path.relative(dir, p));
      if (e.isDirectory()) await walk(p);
    }
  }
  await walk(dir);
  return out.sort();
}
