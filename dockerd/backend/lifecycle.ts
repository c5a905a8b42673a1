// A container's lifecycle, announced to whoever registered: networking, health checks, the restart
// manager, the /etc files (and the builder, later) plug in here and never reach into each other's
// files. The core calls `emit…` at each step; a hook that fails before the task exists fails the
// operation, a hook that fails afterwards is logged and the others still run.
import type { Logger } from 'pino';
import type { Spec } from '../../client/spec/index.js';
import type { ContainerRecord } from './types.js';

/** At create: the OCI spec is built and may still be edited before the tsctrd container is made. */
export interface SpecContext {
  readonly rec: ContainerRecord;
  spec: Spec;
  /** The container's directory under the data root (for files a hook bind-mounts). */
  readonly dir: string;
}

/**
 * At start, before the task is created: the container's sandbox (its network namespace) is made
 * ready. `editSpec` changes the stored OCI spec before runc sees it (one more round trip, only
 * when a hook asks for it).
 */
export interface SandboxContext {
  readonly rec: ContainerRecord;
  editSpec(edit: (spec: Spec) => Spec): void;
}

export interface ExitInfo {
  code: number;
  /** How long the run lasted (0 when it never started). */
  ranMs: number;
  /** The task could not be started at all: there was no run to exit from. */
  startFailed: boolean;
}

/** What a daemon restart found: still running, gone while we were away, or waiting to restart. */
export type RestoredState = 'running' | 'stopped' | 'restarting';

export interface LifecycleHooks {
  readonly name: string;
  configureSpec?(ctx: SpecContext): void | Promise<void>;
  created?(rec: ContainerRecord): void | Promise<void>;
  sandbox?(ctx: SandboxContext): void | Promise<void>;
  started?(rec: ContainerRecord): void | Promise<void>;
  exited?(rec: ContainerRecord, info: ExitInfo): void | Promise<void>;
  removed?(rec: ContainerRecord): void | Promise<void>;
  restored?(rec: ContainerRecord, state: RestoredState): void | Promise<void>;
  /** The container has a new name (`rec.Name`); `oldName` is the one it had. */
  renamed?(rec: ContainerRecord, oldName: string): void | Promise<void>;
}

type Step = Exclude<keyof LifecycleHooks, 'name'>;

export class Lifecycle {
  private readonly hooks: LifecycleHooks[] = [];

  constructor(private readonly log: Logger) {}

  register(h: LifecycleHooks): void {
    this.hooks.push(h);
  }

  /** Before the task exists: hooks run in order and the first failure fails the operation. */
  async configureSpec(ctx: SpecContext): Promise<void> {
    for (const h of this.hooks) await h.configureSpec?.(ctx);
  }

  /** Runs every hook's sandbox step; returns the spec edits they asked for (none: no round trip). */
  async sandbox(rec: ContainerRecord): Promise<Array<(spec: Spec) => Spec>> {
    const edits: Array<(spec: Spec) => Spec> = [];
    const ctx: SandboxContext = { rec, editSpec: (edit) => edits.push(edit) };
    for (const h of this.hooks) await h.sandbox?.(ctx);
    return edits;
  }

  created(rec: ContainerRecord): Promise<void> {
    return this.announce('created', rec, (h) => h.created?.(rec));
  }

  started(rec: ContainerRecord): Promise<void> {
    return this.announce('started', rec, (h) => h.started?.(rec));
  }

  exited(rec: ContainerRecord, info: ExitInfo): Promise<void> {
    return this.announce('exited', rec, (h) => h.exited?.(rec, info));
  }

  removed(rec: ContainerRecord): Promise<void> {
    return this.announce('removed', rec, (h) => h.removed?.(rec));
  }

  restored(rec: ContainerRecord, state: RestoredState): Promise<void> {
    return this.announce('restored', rec, (h) => h.restored?.(rec, state));
  }

  renamed(rec: ContainerRecord, oldName: string): Promise<void> {
    return this.announce('renamed', rec, (h) => h.renamed?.(rec, oldName));
  }

  /** After the fact: every hook runs; a failing one is logged, never propagated. */
  private async announce(
    step: Step,
    rec: ContainerRecord,
    call: (h: LifecycleHooks) => void | Promise<void>,
  ): Promise<void> {
    for (const h of this.hooks) {
      try {
        await call(h);
      } catch (err) {
        this.log.warn(
          { id: rec.Id, hook: h.name, step, err: (err as Error).message },
          'lifecycle hook failed',
        );
      }
    }
  }
}
