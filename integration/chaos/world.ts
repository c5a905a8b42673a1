// What the chaos run expects of the engine: the containers it started and what each should be doing
// now. Operations a kill interrupted leave an uncertain outcome, settled after the recovery.
import type { Dockerd } from '../dockerd-harness.js';
import type { Rng } from '../rng.js';

/** A long-running container (docker or ctr) that must keep running with the same pid. */
export interface Steady {
  name: string;
  kind: 'docker' | 'ctr';
  pid: number;
  /** Its shim was killed: it may die; it must then be recorded as exited. */
  shimKilled?: boolean;
}

/** A container that exits by itself with a known code. */
export interface Exiter {
  name: string;
  id: string;
  code: number;
  /** When it must have exited (ms since epoch, with slack). */
  exitedBy: number;
  shimKilled?: boolean;
}

export interface Stats {
  kills: number;
  killsByTarget: Record<string, number>;
  recoveries: number;
  ops: number;
  opsFailed: number;
  opsInterrupted: number;
  opsByName: Record<string, number>;
  /** Slowest time from a daemon's restart to its API answering (ms). */
  maxApiMs: number;
  /** Slowest time, after both daemons answered, until tsctr-dockerd reached tsctrd again (ms). */
  maxReconnectMs: number;
  apiOverBound: number;
}

export interface Violation {
  at: number;
  recovery: number;
  invariant: string;
  detail: string;
}

export class World {
  readonly steady = new Map<string, Steady>();
  readonly exiters = new Map<string, Exiter>();
  /** Names whose create or removal a kill interrupted. */
  readonly uncertain = new Set<string>();
  /** Auto-remove containers whose run a kill interrupted: they must be gone after the recovery. */
  readonly autoRemove = new Set<string>();
  /** Containers a commit (which pauses them) was under way for when a kill came. */
  readonly committing = new Set<string>();
  /** Steady containers an operation (exec, logs, commit) is using: no removal picks them meanwhile. */
  readonly inUse = new Map<string, number>();
  /** Tokens written to the shared volume by runs that succeeded. */
  readonly volumeTokens: string[] = [];
  readonly violations: Violation[] = [];
  readonly log: string[] = [];
  /** iptables lines of this daemon after the setup (compared at every check). */
  iptablesRules: number | undefined;
  /** Bumped at every kill: an operation that saw it change was interrupted. */
  epoch = 0;
  /** A daemon is down (killed, not yet recovered and checked). */
  down = false;
  recovery = 0;
  private seq = 0;
  readonly stats: Stats = {
    kills: 0,
    killsByTarget: {},
    recoveries: 0,
    ops: 0,
    opsFailed: 0,
    opsInterrupted: 0,
    opsByName: {},
    maxApiMs: 0,
    maxReconnectMs: 0,
    apiOverBound: 0,
  };

  constructor(
    readonly d: Dockerd,
    readonly ref: string,
    readonly pullRef: string,
    readonly rng: Rng,
    readonly started = Date.now(),
  ) {}

  name(prefix: string): string {
    return `chaos-${prefix}-${++this.seq}`;
  }

  note(line: string): void {
    this.log.push(`${((Date.now() - this.started) / 1000).toFixed(1)}s ${line}`);
    if (process.env.TSCTR_CHAOS_VERBOSE) console.log(this.log[this.log.length - 1]);
  }

  violate(invariant: string, detail: string): void {
    this.violations.push({ at: Date.now() - this.started, recovery: this.recovery, invariant, detail });
    this.note(`VIOLATION ${invariant}: ${detail}`);
  }
}
