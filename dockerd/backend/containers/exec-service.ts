// The exec router's backend: exec instances in running containers.
import type { Duplex } from 'node:stream';
import { Conflict, InvalidParameter } from '../../errdefs/index.js';
import { parseDetachKeys } from './attach.js';
import {
  type ExecConfig,
  type ExecInstance,
  ExecStore,
  createExec,
  execInspect,
  attachExec,
  startExec,
} from './exec.js';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../types.js';

export class ExecService {
  constructor(
    private readonly e: Engine,
    readonly execs: ExecStore,
  ) {}

  container(ref: string): ContainerRecord {
    return this.e.store.get(ref);
  }

  checkDetachKeys(keys: string): void {
    try {
      parseDetachKeys(keys);
    } catch (e) {
      throw new InvalidParameter((e as Error).message);
    }
  }

  createExec(rec: ContainerRecord, cfg: ExecConfig): string {
    return createExec(this.e, this.execs, rec, cfg);
  }

  exec(id: string): ExecInstance {
    return this.execs.get(id);
  }

  checkExecStartable(x: ExecInstance): void {
    if (x.started) throw new Conflict(`Error: Exec command ${x.ID} has already run`);
    const rec = this.e.store.find(x.ContainerID);
    if (!rec || !rec.State.Running) throw new Conflict(`Container ${x.ContainerID} is not running`);
  }

  async startExecDetached(x: ExecInstance): Promise<void> {
    this.checkExecStartable(x);
    await startExec(this.e, x, this.container(x.ContainerID), () => undefined);
  }

  startExecAttached(x: ExecInstance, sock: Duplex): Promise<void> {
    return attachExec(this.e, x, this.container(x.ContainerID), sock);
  }

  async resizeExec(x: ExecInstance, h: number, w: number): Promise<void> {
    if (!x.Running) throw new Conflict(`Exec ${x.ID} is not running`);
    await this.e.c.task(x.ContainerID).resizePty(w, h, x.ID);
  }

  inspectExec(x: ExecInstance): Record<string, unknown> {
    return execInspect(x);
  }
}
