// Starting and reconnecting shims. A task's bundle is <state>/tasks/<ns>/<id>: config.json from the
// container's spec, and whatever the shim keeps there (address, exit files, runc's log).
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TaskService } from '../../api/gen/containerd/runtime/task/v2/shim.js';
import { type ServiceClient, TtrpcClient } from '../../api/ttrpc/index.js';
import { invalidArgument, unavailable } from '../../api/errdefs.js';
import { MNT_DETACH, umount } from '../../pkg/sys/mount.js';

export type ShimClient = ServiceClient<typeof TaskService>;

export interface ShimConnection {
  ttrpc: TtrpcClient;
  task: ShimClient;
}

/** Runtimes tsctr-shim serves: containerd's runc v2 name (what ctr sends) and our own. */
const OURS = new Set(['io.containerd.runc.v2', 'io.containerd.runc.v1', 'io.containerd.tsctr.v1']);

export interface ShimLauncherOptions {
  /** tsctrd's gRPC socket (the shim derives its own socket from it). */
  address: string;
  /** Where shims send events (ttrpc). */
  ttrpcAddress: string;
  state: string;
  shimBinary: string;
}

export class ShimLauncher {
  /**
   * A shim already booted and waiting for a task (Node's start-up is most of a task's start). One is
   * kept while tasks are being started, and retired after a minute without one, so an idle engine
   * holds no extra process.
   */
  private spare: ChildProcess | undefined;
  private spareTimer: NodeJS.Timeout | undefined;
  private retireTimer: NodeJS.Timeout | undefined;

  constructor(readonly o: ShimLauncherOptions) {}

  private retireLater(ms = 60_000): void {
    if (this.retireTimer) clearTimeout(this.retireTimer);
    this.retireTimer = setTimeout(() => {
      this.retireTimer = undefined;
      const p = this.spare;
      this.spare = undefined;
      p?.kill('SIGTERM');
    }, ms);
    this.retireTimer.unref();
  }

  private prewarmSoon(ms: number): void {
    if (this.spareTimer || this.o.shimBinary === '') return;
    this.spareTimer = setTimeout(() => {
      this.spareTimer = undefined;
      this.prewarm();
    }, ms);
    this.spareTimer.unref();
  }

  private prewarm(): void {
    if (this.spare && this.spare.exitCode === null) return;
    try {
      const p = spawn(process.execPath, this.args('', '', 'spare'), {
        cwd: this.o.state,
        env: this.env(),
        detached: true,
        stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      });
      p.on('error', () => undefined);
      p.on('exit', () => {
        if (this.spare === p) this.spare = undefined;
      });
      p.unref();
      (p.stdio[3] as Socket).unref();
      // It boots at low priority, beside the runc of the task just started; adopted, it is reset.
      if (p.pid) os.setPriority(p.pid, 10);
      this.spare = p;
    } catch {
      this.spare = undefined;
    }
  }

  /** Hands the task to the spare shim; undefined when there is none (or it fails), so we spawn one. */
  private async adopt(ns: string, id: string, bundle: string): Promise<string | undefined> {
    const p = this.spare;
    this.spare = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return undefined;
    const io = p.stdio[3] as Socket;
    try {
      return await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error('spare shim did not answer')), 10_000);
        io.on('data', (b: Buffer) => {
          out += b;
          if (out.includes('\n')) {
            clearTimeout(timer);
            resolve(out.trim());
          }
        });
        io.on('error', reject);
        p.once('exit', () => reject(new Error('spare shim exited')));
        if (p.pid) this.recordPid(bundle, p.pid);
        io.write(`${JSON.stringify({ namespace: ns, id, bundle })}\n`);
      });
    } catch {
      p.kill('SIGKILL');
      return undefined;
    } finally {
      io.destroy();
    }
  }

  /**
   * The shim's pid in its bundle, written before it is ready: a daemon killed while a shim boots
   * can still find (and stop) a shim that never told it where it listens.
   */
  private recordPid(bundle: string, pid: number): void {
    try {
      writeFileSync(path.join(bundle, 'shim.pid'), String(pid));
    } catch {
      // the bundle is gone: so is the task
    }
  }

  /** Where the shim of a task listens (the shim derives it the same way, see shim/main.ts). */
  expectedAddress(ns: string, id: string): string {
    const hash = createHash('sha256').update(`${this.o.address}/${ns}/${id}`).digest('hex').slice(0, 32);
    return `unix://${path.join(this.o.state, 's', hash)}`;
  }

  /** Kills the shim recorded in a bundle, if it still runs (a shim no daemon can reach). */
  killStray(ns: string, id: string): void {
    try {
      const pid = Number(readFileSync(path.join(this.bundleDir(ns, id), 'shim.pid'), 'utf8'));
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith('tsctr-shim.js')) && (cmd.includes(id) || cmd.includes('spare')))
        process.kill(pid, 'SIGKILL');
    } catch {
      // no record, or gone
    }
  }

  bundleDir(ns: string, id: string): string {
    return path.join(this.o.state, 'tasks', ns, id);
  }

  async makeBundle(ns: string, id: string, specJson: Uint8Array): Promise<string> {
    const dir = this.bundleDir(ns, id);
    await fs.mkdir(path.dirname(dir), { recursive: true, mode: 0o711 });
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { mode: 0o700 });
    await fs.writeFile(path.join(dir, 'config.json'), specJson);
    await fs.mkdir(path.join(dir, 'rootfs'), { mode: 0o755 });
    return dir;
  }

  async removeBundle(ns: string, id: string): Promise<void> {
    const dir = this.bundleDir(ns, id);
    // Never delete through a rootfs that is still mounted (a shim that died mid-way). umount2(2)
    // first: it answers "not a mount point" (the usual case) without spawning umount(8).
    const rootfs = path.join(dir, 'rootfs');
    let done = false;
    try {
      umount(rootfs, MNT_DETACH);
      done = true;
    } catch {
      // fall back to umount(8)
    }
    if (!done) {
      await new Promise<void>((resolve) => {
        const p = spawn('umount', ['-l', rootfs], { stdio: 'ignore' });
        p.on('close', () => resolve());
        p.on('error', () => resolve());
      });
    }
    await fs.rm(dir, { recursive: true, force: true });
  }

  /** Shims keep their sockets and runc's state under this daemon's state dir. */
  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TTRPC_ADDRESS: this.o.ttrpcAddress,
      TSCTR_RUNC_ROOT: path.join(this.o.state, 'runc'),
      TSCTR_SHIM_SOCKET_DIR: path.join(this.o.state, 's'),
    };
    delete env.NODE_EXTRA_CA_CERTS; // shims make no TLS connections
    return env;
  }

  private args(ns: string, id: string, action: string): string[] {
    return [
      this.o.shimBinary,
      '-namespace',
      ns,
      '-address',
      this.o.address,
      '-publish-binary',
      process.argv[1] ?? '',
      '-id',
      id,
      action,
    ];
  }

  /**
   * Starts the shim for a task and connects to it. containerd runs `shim start`, which spawns the
   * long-lived shim and exits; for our own shim we spawn the long-lived `serve` directly (one Node
   * start instead of two) and read its address from the pipe it writes when ready.
   */
  async start(runtime: string, ns: string, id: string): Promise<ShimConnection> {
    if (!OURS.has(runtime))
      throw invalidArgument(`runtime ${JSON.stringify(runtime)} is not supported by tsctrd`);
    const bundle = this.bundleDir(ns, id);
    const adopted = await this.adopt(ns, id, bundle);
    this.prewarmSoon(20);
    this.retireLater();
    if (adopted) return this.connect(adopted);
    const log = await fs.open(path.join(bundle, 'shim.log'), 'a');
    let address: string;
    try {
      address = await new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, this.args(ns, id, 'serve'), {
          cwd: bundle,
          env: this.env(),
          detached: true,
          stdio: ['ignore', log.fd, log.fd, 'pipe'],
        });
        if (p.pid) this.recordPid(bundle, p.pid);
        let out = '';
        const timer = setTimeout(() => reject(new Error('shim did not become ready in 10 s')), 10_000);
        p.stdio[3]!.on('data', (b: Buffer) => {
          out += b;
          if (out.includes('\n')) {
            clearTimeout(timer);
            p.stdio[3]!.destroy();
            p.unref();
            resolve(out.trim());
          }
        });
        p.on('error', reject);
        p.on('exit', (code) => {
          clearTimeout(timer);
          reject(
            new Error(`failed to start shim: exit status ${code} (see ${path.join(bundle, 'shim.log')})`),
          );
        });
      });
    } finally {
      await log.close();
    }
    return this.connect(address);
  }

  async connect(address: string, timeoutMs = 5000): Promise<ShimConnection> {
    try {
      const ttrpc = await TtrpcClient.connect(address.replace(/^unix:\/\//, ''), { timeoutMs });
      return { ttrpc, task: ttrpc.client(TaskService) };
    } catch (e) {
      throw unavailable(`shim at ${address}: ${(e as Error).message}`);
    }
  }

  /** After a shim died: force-delete the container and unmount its rootfs (`tsctr-shim delete`). */
  async cleanupDead(ns: string, id: string): Promise<void> {
    await new Promise<void>((resolve) => {
      const p = spawn(process.execPath, this.args(ns, id, 'delete'), {
        cwd: this.bundleDir(ns, id),
        env: this.env(),
        stdio: 'ignore',
      });
      p.on('close', () => resolve());
      p.on('error', () => resolve());
    });
  }

  /** Every bundle left under state: what a restarted daemon reconnects to. */
  /** Synchronous on purpose: at start the tasks must be known before the socket answers. */
  bundles(): Array<{ ns: string; id: string }> {
    const out: Array<{ ns: string; id: string }> = [];
    const root = path.join(this.o.state, 'tasks');
    const list = (dir: string): string[] => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    };
    for (const ns of list(root)) for (const id of list(path.join(root, ns))) out.push({ ns, id });
    return out;
  }
}
