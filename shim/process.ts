// One process of a task (the init, or an exec): its state, and its exit, which is written to the
// bundle (temp + rename) before anyone is told about it, so a restarted daemon can still collect it.
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ProcessIO } from './io.js';

export type ProcStatus = 'created' | 'running' | 'stopped' | 'paused';

export interface Exit {
  status: number;
  /** Nanoseconds since the epoch. */
  at: bigint;
}

export class Proc {
  status: ProcStatus = 'created';
  pid = 0;
  exit: Exit | undefined;
  io: ProcessIO | undefined;
  /** The pty master, for a process with a terminal. */
  master: number | undefined;
  private waiters: Array<(e: Exit) => void> = [];

  constructor(
    readonly id: string,
    readonly execId: string,
    readonly bundle: string,
    readonly stdin: string,
    readonly stdout: string,
    readonly stderr: string,
    readonly terminal: boolean,
  ) {}

  get exitFile(): string {
    return path.join(this.bundle, `exit-${this.execId || 'init'}.json`);
  }

  /** Records the exit durably, then wakes the waiters. Idempotent. */
  exited(status: number): Exit {
    if (this.exit) return this.exit;
    const at = BigInt(Date.now()) * 1_000_000n;
    const e = { status, at };
    const tmp = `${this.exitFile}.tmp`;
    writeFileSync(tmp, JSON.stringify({ pid: this.pid, status, at: at.toString() }));
    renameSync(tmp, this.exitFile);
    this.exit = e;
    this.status = 'stopped';
    this.io?.closeStdin();
    for (const w of this.waiters.splice(0)) w(e);
    return e;
  }

  wait(): Promise<Exit> {
    if (this.exit) return Promise.resolve(this.exit);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
