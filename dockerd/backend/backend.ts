// The backend the HTTP routes call: one method per operation, over the engine's stores and tsctrd.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { mountAll } from '../../client/mount.js';
import {
  Conflict,
  InvalidParameter,
  NotFound,
  NotImplemented,
  SystemError,
  Unauthorized,
} from '../http/errors.js';
import { Registry } from '../../client/remotes/index.js';
import { normalizeCredentialHost } from '../../client/remotes/credentials.js';
import type { Filters } from '../http/filters.js';
import { type JsonMessage, errorMessage } from '../http/jsonmessage.js';
import type { JsonStreamWriter } from '../http/context.js';
import { frame } from '../http/stdcopy.js';
import { type AttachOptions, attachContainer, escapeFilter, parseDetachKeys } from './containers/attach.js';
import { createContainer } from './containers/create.js';
import {
  type ExecConfig,
  type ExecInstance,
  ExecStore,
  createExec,
  execInspect,
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
import { type DockerEvent, eventMatches } from './events.js';
import { validName } from './ids.js';
import { loadImages, resolveSaveNames, saveImages } from './images/archive.js';
import { historyView, imageInspectView, imageListView, removeImage, tagImage, tagsOf } from './images/ops.js';
import { pullImage, pullReference } from './images/pull.js';
import { pushRepository } from './images/push.js';
import { importRootfs } from './images/import.js';
import { info, version } from './system.js';
import type { ContainerRecord, CreateBody } from './types.js';
import { publicVolume } from './volumes.js';
import { parseDockerTime } from '../logs/format.js';
import * as archive from '../archive/index.js';

const run = promisify(execFile);

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
      const u = await this.e.c.call(this.e.c.snapshots, this.e.c.snapshots.usage, {
        snapshotter: 'overlayfs',
        key: rec.Id,
      });
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

  async resizeContainer(rec: ContainerRecord, h: number, w: number): Promise<void> {
    if (!rec.State.Running) throw new Conflict(`Container ${rec.Id} is not running`);
    await this.e.c.call(this.e.c.tasks, this.e.c.tasks.resizePty, {
      containerId: rec.Id,
      execId: '',
      width: w,
      height: h,
    });
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

  /** Runs `fn` on the container's root filesystem: the live view of a running one, a mount otherwise. */
  private async withRoot<T>(rec: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
    if (rec.State.Running && rec.State.Pid) return fn(`/proc/${rec.State.Pid}/root`);
    const { mounts } = await this.e.c.call(this.e.c.snapshots, this.e.c.snapshots.mounts, {
      snapshotter: 'overlayfs',
      key: rec.Id,
    });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-cp-'));
    try {
      await mountAll(mounts, dir);
      try {
        return await fn(dir);
      } finally {
        await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async statPath(rec: ContainerRecord, p: string): Promise<string> {
    if (!p) throw new InvalidParameter('path is required');
    return this.withRoot(rec, async (root) => archive.encodeStatHeader(await this.stat(rec, root, p)));
  }

  private async stat(rec: ContainerRecord, root: string, p: string): Promise<archive.PathStat> {
    try {
      return await archive.statPath(root, p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFound(`Could not find the file ${p} in container ${rec.Name.slice(1)}`);
      throw e;
    }
  }

  async getArchive(
    rec: ContainerRecord,
    p: string,
  ): Promise<{ stat: string; open: (out: Writable) => Promise<void> }> {
    if (!p) throw new InvalidParameter('path is required');
    // The stat is taken first so a missing path is a 404 before any byte is sent.
    let stat = '';
    await this.withRoot(rec, async (root) => {
      stat = archive.encodeStatHeader(await this.stat(rec, root, p));
    });
    return {
      stat,
      open: (out) =>
        this.withRoot(rec, async (root) => {
          await pipeline(archive.packPath(root, p), out);
        }),
    };
  }

  async putArchive(
    rec: ContainerRecord,
    p: string,
    body: Readable,
    o: { noOverwriteDirNonDir: boolean },
  ): Promise<void> {
    if (rec.HostConfig.ReadonlyRootfs) throw new InvalidParameter('container rootfs is marked read-only');
    await this.withRoot(rec, async (root) => {
      try {
        await archive.extractInto(root, p, body, o);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'ENOENT')
          throw new NotFound(`Could not find the file ${p} in container ${rec.Name.slice(1)}`);
        if (err.code === 'EINVAL' || err.code === 'ENOTDIR' || err.code === 'EEXIST')
          throw new InvalidParameter(err.message);
        throw e;
      }
    });
  }

  async exportContainer(rec: ContainerRecord, open: () => Writable): Promise<void> {
    await this.withRoot(rec, async (root) => {
      await pipeline(archive.packPath(root, '/', { contentsOnly: true }), open());
      this.e.containerEvent(rec, 'export');
    });
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

  async startExecAttached(x: ExecInstance, sock: Duplex): Promise<void> {
    const rec = this.container(x.ContainerID);
    const tty = x.Config.Tty ?? false;
    const cfg = x.Config;
    try {
      await startExec(this.e, x, rec, (io) => {
        io.subscribe((stream, chunk) => {
          if ((stream === 'stdout' && !cfg.AttachStdout) || (stream === 'stderr' && !cfg.AttachStderr))
            return;
          if (!sock.destroyed && !sock.writableEnded)
            sock.write(tty ? chunk : frame(stream === 'stdout' ? 1 : 2, chunk));
        });
        if (cfg.AttachStdin) {
          const filter = tty
            ? escapeFilter(parseDetachKeys(cfg.DetachKeys || 'ctrl-p,ctrl-q'), () => sock.end())
            : (b: Buffer) => b;
          sock.on('data', (b: Buffer) => {
            const d = filter(b);
            if (d.length > 0) io.writeStdin(d);
          });
          sock.on('end', () => io.closeStdin());
        } else {
          sock.on('data', () => undefined);
        }
      });
    } catch (e) {
      if (!sock.destroyed)
        sock.end(tty ? Buffer.from(`${(e as Error).message}\r\n`) : frame(3, `${(e as Error).message}\n`));
      return;
    }
    await x.exited;
    if (!sock.destroyed) sock.end();
  }

  async resizeExec(x: ExecInstance, h: number, w: number): Promise<void> {
    if (!x.Running) throw new Conflict(`Exec ${x.ID} is not running`);
    await this.e.c.call(this.e.c.tasks, this.e.c.tasks.resizePty, {
      containerId: x.ContainerID,
      execId: x.ID,
      width: w,
      height: h,
    });
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
    const dangling = filters.get('dangling');
    const names = filters.get('name');
    const labels = filters.get('label');
    const vols = this.e.volumes.list().filter((v) => {
      if (dangling && dangling.includes('true') !== (this.e.volumes.inUse(v.Name).length === 0)) return false;
      if (names && !names.some((n) => v.Name.includes(n))) return false;
      if (
        labels &&
        !labels.every((l) =>
          l.includes('=')
            ? v.Labels?.[l.split('=')[0]] === l.split('=').slice(1).join('=')
            : !!v.Labels && l in v.Labels,
        )
      )
        return false;
      return true;
    });
    return { Volumes: vols.map(publicVolume), Warnings: null };
  }

  createVolume(
    name: string,
    labels: Record<string, string> | null,
    opts: Record<string, string> | null,
  ): unknown {
    const { volume, created } = this.e.volumes.create(name || undefined, {
      labels,
      options: opts,
      anonymous: !name,
    });
    if (created) this.e.events.publish('volume', 'create', volume.Name, { driver: 'local' });
    return publicVolume(volume);
  }

  inspectVolume(name: string): unknown {
    return publicVolume(this.e.volumes.get(name));
  }

  removeVolume(name: string, force: boolean): void {
    this.e.volumes.remove(name, force);
    this.e.events.publish('volume', 'destroy', name, { driver: 'local' });
  }

  pruneVolumes(filters: Filters): { VolumesDeleted: string[]; SpaceReclaimed: number } {
    const labels = filters.get('label');
    const deleted: string[] = [];
    for (const v of this.e.volumes.list()) {
      if (this.e.volumes.inUse(v.Name).length > 0) continue;
      if (labels && !labels.every((l) => !!v.Labels && l.split('=')[0] in v.Labels)) continue;
      this.e.volumes.remove(v.Name);
      this.e.events.publish('volume', 'destroy', v.Name, { driver: 'local' });
      deleted.push(v.Name);
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: 0 };
  }

  // ---- system ------------------------------------------------------------------------------------

  /** POST /auth: the credentials are checked against the registry itself (nothing is stored here). */
  async login(a: {
    username?: string;
    password?: string;
    serveraddress?: string;
    identitytoken?: string;
  }): Promise<void> {
    const host = normalizeCredentialHost(a.serveraddress || 'docker.io');
    const creds = a.identitytoken
      ? { identityToken: a.identitytoken }
      : { username: a.username ?? '', password: a.password ?? '' };
    try {
      await new Registry({ credentials: () => creds }).ping(host);
    } catch (e) {
      const msg = (e as Error).message;
      if (/401|403|unauthori[sz]ed|denied|incorrect/i.test(msg)) {
        throw new Unauthorized(`login attempt to ${host} failed: ${msg}`);
      }
      throw new SystemError(`login to ${host}: ${msg}`);
    }
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
    return { LayersSize: 0, Images: images, Containers: containers, Volumes: volumes, BuildCache: [] };
  }

  async streamEvents(
    o: { since?: string; until?: string; filters: Filters },
    write: (e: DockerEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const untilNs = o.until ? Number(parseDockerTime(o.until)) : undefined;
    const matches = (ev: DockerEvent) =>
      eventMatches(ev, o.filters) && (untilNs === undefined || ev.timeNano <= untilNs);
    const queue: DockerEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = this.e.events.subscribe((ev) => {
      queue.push(ev);
      wake?.();
    });
    try {
      if (o.since)
        for (const ev of this.e.events.since(Number(parseDockerTime(o.since)))) if (matches(ev)) write(ev);
      for (;;) {
        if (untilNs !== undefined && Date.now() * 1e6 > untilNs) return;
        while (queue.length > 0) {
          const ev = queue.shift()!;
          if (matches(ev)) write(ev);
        }
        if (signal.aborted) return;
        await new Promise<void>((r) => {
          wake = r;
          const t =
            untilNs !== undefined ? setTimeout(r, Math.max(0, untilNs / 1e6 - Date.now()) + 10) : undefined;
          signal.addEventListener(
            'abort',
            () => {
              if (t) clearTimeout(t);
              r();
            },
            { once: true },
          );
        });
        wake = undefined;
      }
    } finally {
      unsubscribe();
    }
  }

  listNetworks(): unknown[] {
    return ['bridge', 'host', 'none'].map((n) => this.network(n));
  }

  network(id: string): Record<string, unknown> {
    const names: Record<string, string> = { bridge: 'bridge', host: 'host', none: 'null' };
    const name = Object.keys(names).find((n) => n === id || id === `${n}-network`);
    if (!name) throw new NotFound(`network ${id} not found`);
    const containers: Record<string, unknown> = {};
    for (const r of this.e.store.list()) {
      const mode = r.HostConfig.NetworkMode === 'default' ? 'bridge' : r.HostConfig.NetworkMode;
      if (mode === name && r.State.Running)
        containers[r.Id] = {
          Name: r.Name.slice(1),
          EndpointID: '',
          MacAddress: '',
          IPv4Address: '',
          IPv6Address: '',
        };
    }
    return {
      Name: name,
      Id: name,
      Created: new Date(this.e.startedAt).toISOString(),
      Scope: 'local',
      Driver: names[name],
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: containers,
      Options: {},
      Labels: {},
    };
  }
}
