// Drives runc: every call is one `runc` command with the shim's root, log and bundle.
import { type StdioOptions, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';

export interface RuncOptions {
  binary: string;
  /** runc's state directory (`--root`). */
  root: string;
  bundle: string;
  id: string;
}

export class RuncError extends Error {}

export class Runc {
  constructor(readonly o: RuncOptions) {}

  private get logFile(): string {
    return path.join(this.o.bundle, 'log.json');
  }

  /** Runs runc and resolves with its stdout; the failure message comes from runc's json log. */
  async run(
    args: string[],
    stdio: StdioOptions = ['ignore', 'pipe', 'pipe'],
    input?: string,
  ): Promise<string> {
    const full = ['--root', this.o.root, '--log', this.logFile, '--log-format', 'json', ...args];
    return new Promise((resolve, reject) => {
      const p = spawn(this.o.binary, full, { stdio, cwd: this.o.bundle });
      let out = '';
      let err = '';
      p.stdout?.on('data', (b: Buffer) => (out += b));
      p.stderr?.on('data', (b: Buffer) => (err += b));
      if (input !== undefined) p.stdin?.end(input);
      p.on('error', reject);
      p.on('close', async (code) => {
        if (code === 0) return resolve(out);
        reject(
          new RuncError(
            `runc ${args[0]} failed: ${(await this.lastError()) || err.trim() || `exit status ${code}`}`,
          ),
        );
      });
    });
  }

  /** The last error runc logged (json lines with "level":"error"). */
  async lastError(): Promise<string> {
    try {
      const lines = (await fs.readFile(this.logFile, 'utf8')).trim().split('\n').reverse();
      for (const l of lines) {
        try {
          const e = JSON.parse(l) as { level?: string; msg?: string };
          if (e.level === 'error' && e.msg) return e.msg;
        } catch {
          continue;
        }
      }
    } catch {
      return '';
    }
    return '';
  }

  async create(
    pidFile: string,
    stdio: StdioOptions,
    opts: { noPivot?: boolean; consoleSocket?: string },
  ): Promise<void> {
    const args = ['create', '--bundle', this.o.bundle, '--pid-file', pidFile];
    if (opts.noPivot) args.push('--no-pivot');
    if (opts.consoleSocket) args.push('--console-socket', opts.consoleSocket);
    await this.run([...args, this.o.id], stdio);
  }

  async exec(
    processFile: string,
    pidFile: string,
    stdio: StdioOptions,
    consoleSocket?: string,
  ): Promise<void> {
    const args = ['exec', '--detach', '--process', processFile, '--pid-file', pidFile];
    if (consoleSocket) args.push('--console-socket', consoleSocket);
    await this.run([...args, this.o.id], stdio);
  }

  start(): Promise<string> {
    return this.run(['start', this.o.id]);
  }

  /**
   * What `runc start` does, without starting runc: a created container's init waits to open runc's
   * exec FIFO for writing; opening it for reading lets init write one byte and exec the process, and
   * removing it afterwards marks the container running for runc. Only for specs without poststart
   * hooks (runc runs none here anyway in 1.1, but a later runc might). Resolves false when the FIFO is
   * not there (not created by this runc, or already started), so the caller can run `runc start`.
   */
  async startViaFifo(initPid: number): Promise<boolean> {
    const fifo = path.join(this.o.root, this.o.id, 'exec.fifo');
    if (!existsSync(fifo)) return false;
    try {
      const spec = JSON.parse(await fs.readFile(path.join(this.o.bundle, 'config.json'), 'utf8')) as {
        hooks?: { poststart?: unknown[] };
      };
      if (spec.hooks?.poststart?.length) return false;
    } catch {
      return false;
    }
    const dead = () => new RuncError('runc start failed: container process is already dead');
    if (!alive(initPid)) throw dead();
    // A blocking open (on libuv's thread pool) meets init's open for writing. Should init die first,
    // our own brief writer lets the open return, and the read then sees EOF.
    const watch = setInterval(() => {
      if (alive(initPid)) return;
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // no reader yet or gone: next tick
      }
    }, 200);
    let got = 0;
    try {
      const fh = await fs.open(fifo, 'r');
      try {
        got = (await fh.read(Buffer.alloc(1), 0, 1, null)).bytesRead;
      } finally {
        await fh.close();
      }
    } finally {
      clearInterval(watch);
    }
    if (got === 0) throw dead();
    await fs.rm(fifo, { force: true });
    return true;
  }

  kill(signal: number, all: boolean): Promise<string> {
    return this.run(['kill', ...(all ? ['--all'] : []), this.o.id, String(signal)]);
  }

  delete(force: boolean): Promise<string> {
    return this.run(['delete', ...(force ? ['--force'] : []), this.o.id]);
  }

  pause(): Promise<string> {
    return this.run(['pause', this.o.id]);
  }

  resume(): Promise<string> {
    return this.run(['resume', this.o.id]);
  }

  async ps(): Promise<number[]> {
    const out = await this.run(['ps', '--format', 'json', this.o.id]);
    return (JSON.parse(out || '[]') as number[] | null) ?? [];
  }

  update(resourcesJson: string): Promise<string> {
    return this.run(['update', '--resources', '-', this.o.id], ['pipe', 'pipe', 'pipe'], resourcesJson);
  }
}

/** The process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
