// The containers router's backend: the container operations over the engine's stores and tsctrd.
import type { Duplex, Readable, Writable } from 'node:stream';
import type { Platform } from '../../../client/remotes/platform.js';
import { Conflict, InvalidParameter, NotFound } from '../../errdefs/index.js';
import type { Filters } from '../../wire/filters.js';
import { type AttachOptions, attachContainer, parseDetachKeys } from './attach.js';
import { createContainer } from './create.js';
import { type Change, containerChanges } from './changes.js';
import { type UpdateBody, updateContainer } from './update.js';
import { ExecStore } from './exec.js';
import { type LogsOptions, checkLogs, streamLogs } from './logs.js';
import { removeContainer } from './remove.js';
import { startContainer } from './start.js';
import { type StatsSample, sample, statsJson, top } from './stats.js';
import { killContainer, pauseContainer, restartContainer, stopContainer, unpauseContainer } from './stop.js';
import { inspectView, listFilter, listView } from './views.js';
import type { Engine } from '../engine.js';
import { validName } from '../ids.js';
import { exportContainer, getArchive, putArchive, statPath } from './archive.js';
import type { ContainerRecord, CreateBody } from '../types.js';

export class ContainersService {
  constructor(
    private readonly e: Engine,
    private readonly execs: ExecStore,
  ) {}

  container(ref: string): ContainerRecord {
    return this.e.store.get(ref);
  }

  createContainer(
    body: CreateBody,
    name: string,
    platform?: Platform,
  ): Promise<{ Id: string; Warnings: string[] }> {
    return createContainer(this.e, body, name, platform);
  }

  async listContainers(o: {
    all: boolean;
    limit: number;
    size: boolean;
    filters: Filters;
  }): Promise<unknown[]> {
    const matches = listFilter(
      o.filters,
      (ref) => this.e.store.find(ref),
      (rec, ref) =>
        rec.Config.Image === ref ||
        rec.Image === ref ||
        rec.Image.slice(7).startsWith(ref) ||
        rec.Config.Image?.split(':')[0] === ref,
    );
    let recs = this.e.store
      .list()
      .filter(
        (r) => o.all || o.limit > 0 || r.State.Running || o.filters.has('status') || o.filters.has('exited'),
      )
      .filter(matches)
      .sort((a, b) => (a.Created < b.Created ? 1 : -1));
    if (o.limit > 0) recs = recs.slice(0, o.limit);
    return Promise.all(recs.map(async (r) => listView(r, o.size ? await this.sizes(r) : undefined)));
  }

  private async sizes(rec: ContainerRecord): Promise<{ rw: number; rootfs: number }> {
    try {
      const u = await this.e.c.snapshotter().usage(rec.Id);
      const img = await this.e.images.resolve(rec.Image).catch(() => undefined);
      return { rw: u.size, rootfs: u.size + (img?.size ?? 0) };
    } catch {
      return { rw: 0, rootfs: 0 };
    }
  }

  async inspectContainer(rec: ContainerRecord, size: boolean): Promise<Record<string, unknown>> {
    const view = inspectView(rec, { execIds: this.execs.forContainer(rec.Id), graph: {} });
    if (size) {
      const s = await this.sizes(rec);
      view.SizeRw = s.rw;
      view.SizeRootFs = s.rootfs;
    }
    return view;
  }

  startContainer(rec: ContainerRecord): Promise<void> {
    return startContainer(this.e, rec);
  }

  stopContainer(rec: ContainerRecord, t: number | undefined): Promise<void> {
    return stopContainer(this.e, rec, t);
  }

  restartContainer(rec: ContainerRecord, t: number | undefined): Promise<void> {
    return restartContainer(this.e, rec, t);
  }

  killContainer(rec: ContainerRecord, signal: string | undefined): Promise<void> {
    return killContainer(this.e, rec, signal);
  }

  pauseContainer(rec: ContainerRecord): Promise<void> {
    return pauseContainer(this.e, rec);
  }

  unpauseContainer(rec: ContainerRecord): Promise<void> {
    return unpauseContainer(this.e, rec);
  }

  async renameContainer(rec: ContainerRecord, name: string): Promise<void> {
    if (!name) throw new InvalidParameter('Neither old nor new names may be empty');
    const newName = validName(name);
    if (newName === rec.Name)
      throw new InvalidParameter('Renaming a container with the same name as its current name');
    const old = rec.Name;
    this.e.store.rename(rec, newName);
    await this.e.lifecycle.renamed(rec, old);
    this.e.containerEvent(rec, 'rename', { oldName: old });
  }

  changes(rec: ContainerRecord): Promise<Change[]> {
    return containerChanges(this.e, rec);
  }

  updateContainer(rec: ContainerRecord, body: UpdateBody): Promise<{ Warnings: string[] }> {
    return updateContainer(this.e, rec, body);
  }

  async resizeContainer(rec: ContainerRecord, h: number, w: number): Promise<void> {
    if (!rec.State.Running) throw new Conflict(`Container ${rec.Id} is not running`);
    await this.e.c.task(rec.Id).resizePty(w, h);
  }

  /** Resolves with the exit code, or undefined if the client went away first. */
  waitContainer(
    rec: ContainerRecord,
    condition: 'not-running' | 'next-exit' | 'removed',
    signal: AbortSignal,
  ): Promise<number | undefined> {
    const rt = this.e.runtime(rec.Id);
    if (condition === 'not-running' && (!rec.State.Running || rec.State.Restarting))
      return Promise.resolve(rec.State.ExitCode);
    if (condition === 'removed' && !this.e.store.has(rec.Id)) return Promise.resolve(rec.State.ExitCode);
    const ev = condition === 'removed' ? 'removed' : 'exit';
    return new Promise((resolve) => {
      const done = (code: number) => {
        signal.removeEventListener('abort', abort);
        resolve(code);
      };
      const abort = () => {
        rt.emitter.off(ev, done);
        resolve(undefined);
      };
      rt.emitter.once(ev, done);
      signal.addEventListener('abort', abort, { once: true });
    });
  }

  async removeContainer(rec: ContainerRecord, o: { force: boolean; volumes: boolean }): Promise<void> {
    await removeContainer(this.e, rec, o);
    this.execs.dropContainer(rec.Id);
  }

  async removeLink(name: string): Promise<void> {
    const parts = name.replace(/^\/+/, '').split('/');
    const alias = parts.pop() ?? '';
    const parent = parts.join('/');
    if (!parent || !alias)
      throw new InvalidParameter('Conflict, cannot remove the default link name of the container');
    const rec = this.e.store.get(parent);
    const links = rec.HostConfig.Links ?? [];
    const kept = links.filter((l) => l.split(':')[1]?.split('/').pop() !== alias);
    if (kept.length === links.length) throw new NotFound(`Could not find entity for ${name}`);
    rec.HostConfig.Links = kept;
    this.e.store.save(rec);
  }

  async pruneContainers(filters: Filters): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const matches = listFilter(
      filters,
      () => undefined,
      () => true,
    );
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const r of this.e.store.list()) {
      if (r.State.Running || !matches(r)) continue;
      // What goes with it: its writable layer.
      const rw = (await this.sizes(r)).rw;
      await removeContainer(this.e, r, { volumes: false });
      deleted.push(r.Id);
      reclaimed += rw;
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  checkDetachKeys(keys: string): void {
    try {
      parseDetachKeys(keys);
    } catch (e) {
      throw new InvalidParameter((e as Error).message);
    }
  }

  attachContainer(rec: ContainerRecord, sock: Duplex, o: AttachOptions): Promise<void> {
    return attachContainer(this.e, rec, sock, o);
  }

  checkLogs(rec: ContainerRecord, o: LogsOptions): void {
    checkLogs(rec, o);
  }

  streamLogs(rec: ContainerRecord, out: Writable, o: LogsOptions, signal: AbortSignal): Promise<void> {
    return streamLogs(this.e, rec, out, o, signal);
  }

  top(rec: ContainerRecord, psArgs: string): Promise<unknown> {
    if (!rec.State.Running) throw new Conflict(`Container ${rec.Id} is not running`);
    return top(this.e, rec, psArgs);
  }

  async stats(
    rec: ContainerRecord,
    o: { stream: boolean; oneShot: boolean },
    write: (v: unknown) => void,
    signal: AbortSignal,
  ): Promise<void> {
    let prev: StatsSample | undefined;
    if (!o.stream && !o.oneShot && rec.State.Running) {
      // Two samples a moment apart, so precpu_stats is filled and CPU % can be computed.
      prev = await sample(this.e, rec);
      await new Promise((r) => setTimeout(r, 500));
    }
    for (;;) {
      const cur = await sample(this.e, rec);
      write(statsJson(rec, cur, prev));
      if (!o.stream || signal.aborted || !rec.State.Running) return;
      prev = cur;
      await new Promise((r) => setTimeout(r, 1000));
      if (signal.aborted) return;
    }
  }

  statPath(rec: ContainerRecord, p: string): Promise<string> {
    return statPath(this.e, rec, p);
  }

  getArchive(
    rec: ContainerRecord,
    p: string,
  ): Promise<{ stat: string; open: (out: Writable) => Promise<void> }> {
    return getArchive(this.e, rec, p);
  }

  putArchive(
    rec: ContainerRecord,
    p: string,
    body: Readable,
    o: { noOverwriteDirNonDir: boolean },
  ): Promise<void> {
    return putArchive(this.e, rec, p, body, o);
  }

  exportContainer(rec: ContainerRecord, open: () => Writable): Promise<void> {
    return exportContainer(this.e, rec, open);
  }
}
