// The backend the HTTP routes call: one method per operation, over the engine's stores and tsctrd.
import type { Duplex, Readable, Writable } from 'node:stream';
import { Conflict, InvalidParameter, NotFound, NotImplemented } from '../http/errors.js';
import type { Filters } from '../http/filters.js';
import { type JsonMessage, errorMessage } from '../http/jsonmessage.js';
import type { JsonStreamWriter } from '../http/context.js';
import { type AttachOptions, attachContainer, parseDetachKeys } from './containers/attach.js';
import { createContainer } from './containers/create.js';
import { type Change, containerChanges } from './containers/changes.js';
import { type UpdateBody, updateContainer } from './containers/update.js';
import {
  type ExecConfig,
  type ExecInstance,
  ExecStore,
  createExec,
  execInspect,
  attachExec,
  startExec,
} from './containers/exec.js';
import { type LogsOptions, checkLogs, streamLogs } from './containers/logs.js';
import { removeContainer } from './containers/remove.js';
import { startContainer } from './containers/start.js';
import { type StatsSample, sample, statsJson, top } from './containers/stats.js';
import {
  killContainer,
  pauseContainer,
  restartContainer,
  stopContainer,
  unpauseContainer,
} from './containers/stop.js';
import { inspectView, listFilter, listView } from './containers/views.js';
import type { Engine } from './engine.js';
import type { DockerEvent } from './events.js';
import { validName } from './ids.js';
import { exportContainer, getArchive, putArchive, statPath } from './containers/archive.js';
import { streamEvents } from './event-stream.js';
import { listNetworks, networkView } from './networks.js';
import { loadImages, resolveSaveNames, saveImages } from './images/archive.js';
import { historyView, imageInspectView, imageListView, removeImage, tagImage, tagsOf } from './images/ops.js';
import { pullImage, pullReference } from './images/pull.js';
import { pushRepository } from './images/push.js';
import { login } from './images/login.js';
import { createVolume, listVolumes, pruneVolumes, removeVolume } from './volume-ops.js';
import { importRootfs } from './images/import.js';
import { type CommitOptions, commitContainer } from './images/commit.js';
import { info, version } from './system.js';
import type { ContainerRecord, CreateBody } from './types.js';
import { publicVolume } from './volumes.js';

export class Backend {
  readonly execs = new ExecStore();

  constructor(readonly e: Engine) {}

  // ---- containers --------------------------------------------------------------------------------

  container(ref: string): ContainerRecord {
    return this.e.store.get(ref);
  }

  createContainer(body: CreateBody, name: string): Promise<{ Id: string; Warnings: string[] }> {
    return createContainer(this.e, body, name);
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

  async pruneContainers(filters: Filters): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const matches = listFilter(
      filters,
      () => undefined,
      () => true,
    );
    const deleted: string[] = [];
    for (const r of this.e.store.list()) {
      if (r.State.Running || !matches(r)) continue;
      await removeContainer(this.e, r, { volumes: false });
      deleted.push(r.Id);
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: 0 };
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

  // ---- exec --------------------------------------------------------------------------------------

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

  // ---- images ------------------------------------------------------------------------------------

  async pullImage(
    fromImage: string,
    tag: string,
    auth: string | undefined,
    platform: string | undefined,
    open: () => JsonStreamWriter,
  ): Promise<JsonStreamWriter> {
    const ref = pullReference(fromImage, tag);
    let out: JsonStreamWriter | undefined;
    try {
      await pullImage(
        this.e,
        { ref, auth, platform },
        (m) => out?.write(m),
        () => (out = open()),
      );
    } catch (e) {
      if (!out) throw e;
      out.write(errorMessage((e as Error).message));
    }
    return out!;
  }

  async importImage(
    src: string,
    repo: string,
    tag: string,
    changes: string[],
    body: Readable,
    open: () => JsonStreamWriter,
  ): Promise<JsonStreamWriter> {
    if (src !== '-')
      throw new NotImplemented('importing from a URL is not supported; send the tar as the body');
    const id = await importRootfs(this.e, body, repo, tag, changes);
    const out = open();
    out.write({ status: id });
    return out;
  }

  commitContainer(ref: string, o: CommitOptions): Promise<string> {
    return commitContainer(this.e, this.container(ref), o);
  }

  async pushImage(
    name: string,
    tag: string,
    auth: string | undefined,
    write: (m: JsonMessage) => void,
  ): Promise<void> {
    await pushRepository(this.e, name, tag, auth, write);
  }

  async listImages(o: { all: boolean; filters: Filters }): Promise<unknown[]> {
    const all = await this.e.images.list();
    const counts = new Map<string, number>();
    for (const r of this.e.store.list()) counts.set(r.Image, (counts.get(r.Image) ?? 0) + 1);
    const refs = o.filters.get('reference');
    const labels = o.filters.get('label');
    const dangling = o.filters.get('dangling');
    return all
      .filter((img) => {
        const tags = tagsOf(img);
        if (dangling?.includes('true') && tags.length > 0) return false;
        if (
          refs &&
          !refs.some((ref) =>
            tags.some((t) => t === ref || t.split(':')[0] === ref || t.startsWith(`${ref}:`)),
          )
        )
          return false;
        if (labels) {
          const l = img.config.config?.Labels ?? {};
          if (
            !labels.every((v) =>
              v.includes('=') ? l[v.split('=')[0]] === v.split('=').slice(1).join('=') : v in l,
            )
          )
            return false;
        }
        return true;
      })
      .sort((a, b) => ((a.config.created ?? '') < (b.config.created ?? '') ? 1 : -1))
      .map((img) => imageListView(img, o.all ? (counts.get(img.id) ?? 0) : -1));
  }

  async inspectImage(ref: string): Promise<Record<string, unknown>> {
    try {
      return imageInspectView(await this.e.images.resolve(ref));
    } catch (e) {
      if (e instanceof NotFound)
        throw new NotFound(
          `no such image: ${ref}: No such image: ${ref.includes(':') || ref.includes('@') ? ref : `${ref}:latest`}`,
        );
      throw e;
    }
  }

  async imageHistory(ref: string): Promise<unknown> {
    return historyView(await this.e.images.resolve(ref));
  }

  tagImage(source: string, repo: string, tag: string): Promise<void> {
    if (!repo) throw new InvalidParameter('repository name must have at least one component');
    return tagImage(this.e, source, repo, tag);
  }

  removeImage(ref: string, force: boolean): Promise<unknown> {
    return removeImage(this.e, ref, force);
  }

  async saveImages(names: string[], open: () => Writable): Promise<void> {
    const resolved = await resolveSaveNames(this.e, names);
    await saveImages(this.e, resolved, open());
  }

  loadImages(body: Readable): Promise<string[]> {
    return loadImages(this.e, body);
  }

  async pruneImages(_filters: Filters): Promise<{ ImagesDeleted: unknown[]; SpaceReclaimed: number }> {
    // Every image record here has a name; dangling images (the only ones pruned by default) do not exist.
    return { ImagesDeleted: [], SpaceReclaimed: 0 };
  }

  // ---- volumes -----------------------------------------------------------------------------------

  listVolumes(filters: Filters): { Volumes: unknown[]; Warnings: null } {
    return listVolumes(this.e, filters);
  }

  createVolume(
    name: string,
    labels: Record<string, string> | null,
    opts: Record<string, string> | null,
  ): unknown {
    return createVolume(this.e, name, labels, opts);
  }

  inspectVolume(name: string): unknown {
    return publicVolume(this.e.volumes.get(name));
  }

  removeVolume(name: string, force: boolean): void {
    removeVolume(this.e, name, force);
  }

  pruneVolumes(filters: Filters): { VolumesDeleted: string[]; SpaceReclaimed: number } {
    return pruneVolumes(this.e, filters);
  }

  // ---- system ------------------------------------------------------------------------------------

  /** POST /auth: the credentials are checked against the registry itself (nothing is stored here). */
  login(a: {
    username?: string;
    password?: string;
    serveraddress?: string;
    identitytoken?: string;
  }): Promise<void> {
    return login(a);
  }

  async info(): Promise<Record<string, unknown>> {
    return info(this.e, (await this.e.images.list()).length);
  }

  version(): Promise<Record<string, unknown>> {
    return version(this.e);
  }

  async df(): Promise<Record<string, unknown>> {
    const images = await this.listImages({ all: true, filters: new Map() });
    const containers = await this.listContainers({ all: true, limit: -1, size: true, filters: new Map() });
    const volumes = this.e.volumes.list().map((v) => ({
      ...publicVolume(v),
      UsageData: { Size: -1, RefCount: this.e.volumes.inUse(v.Name).length },
    }));
    const layersSize = images.reduce((n: number, i) => n + ((i as { Size?: number }).Size ?? 0), 0);
    return {
      LayersSize: layersSize,
      Images: images,
      Containers: containers,
      Volumes: volumes,
      BuildCache: [],
    };
  }

  streamEvents(
    o: { since?: string; until?: string; filters: Filters },
    write: (e: DockerEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return streamEvents(this.e, o, write, signal);
  }

  listNetworks(): unknown[] {
    return listNetworks(this.e);
  }

  network(id: string): Record<string, unknown> {
    return networkView(this.e, id);
  }
}
