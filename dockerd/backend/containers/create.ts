// POST /containers/create: a Docker container from an image. The Config is completed from the image
// (cmd, entrypoint, env, labels, ports, volumes), the HostConfig gets Docker's defaults, storage is
// resolved, the /etc files are written, the rootfs snapshot is prepared on the image's top layer and
// the tsctrd container is created with its OCI spec, so `start` only has to run it.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_SNAPSHOTTER } from '../../../client/snapshotter.js';
import { type UserDb, readUserDb } from '../../../client/spec/index.js';
import { type Platform, formatPlatform, onlyMatcher } from '../../../client/remotes/platform.js';
import { InvalidParameter, NotFound } from '../../errdefs/index.js';
import { parseLogOpts } from '../../logs/jsonfile-writer.js';
import type { Engine } from '../engine.js';
import { newId, randomName, validName } from '../ids.js';
import { resolveMounts } from '../mounts.js';
import { resolveInRoot } from '../../archive/index.js';
import { NAMESPACE, buildSpec } from '../spec.js';
import { checkHostOptions } from '../host-options.js';
import { checkResources } from '../resources.js';
import { parseSecurityOpt } from '../security.js';
import { DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS, checkDevices, checkSysctls } from '../spec-security.js';
import { initialNetworkState } from '../../network/state.js';
import {
  type ContainerConfig,
  type ContainerRecord,
  type CreateBody,
  type HostConfig,
  type MountPoint,
  createdState,
} from '../types.js';

const run = promisify(execFile);
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const RESTART_POLICIES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);
const GC_ROOT = 'containerd.io/gc.root';

function list(v: string[] | string | null | undefined): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' ? [v] : v;
}

/** Image env first, the body's entries replacing same-named ones; PATH always present. */
export function mergeEnv(image: string[] | null | undefined, body: string[] | null | undefined): string[] {
  const out: string[] = [];
  const index = new Map<string, number>();
  for (const kv of [...(image ?? []), ...(body ?? [])]) {
    const k = kv.split('=')[0];
    const i = index.get(k);
    if (i === undefined) {
      index.set(k, out.length);
      out.push(kv);
    } else out[i] = kv;
  }
  if (!index.has('PATH')) out.unshift(DEFAULT_PATH);
  return out;
}

export function normalizeHostConfig(hc: HostConfig | null | undefined): HostConfig {
  const h: HostConfig = { ...(hc ?? {}) };
  const rp = h.RestartPolicy ?? {};
  const name = rp.Name ?? '';
  if (!RESTART_POLICIES.has(name))
    throw new InvalidParameter(
      `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  if ((rp.MaximumRetryCount ?? 0) < 0)
    throw new InvalidParameter('invalid restart policy: maximum retry count cannot be negative');
  if (name !== 'on-failure' && (rp.MaximumRetryCount ?? 0) > 0)
    throw new InvalidParameter(
      `invalid restart policy: maximum retry count can only be used with 'on-failure'`,
    );
  h.RestartPolicy = { Name: name || 'no', MaximumRetryCount: rp.MaximumRetryCount ?? 0 };
  if (h.AutoRemove && h.RestartPolicy.Name !== 'no')
    throw new InvalidParameter(`can't create 'AutoRemove' container with restart policy`);
  // StrSlice fields: one string stands for a list of one.
  if (typeof h.CapAdd === 'string') h.CapAdd = [h.CapAdd];
  if (typeof h.CapDrop === 'string') h.CapDrop = [h.CapDrop];
  h.NetworkMode = h.NetworkMode || 'default';
  const logType = h.LogConfig?.Type || 'json-file';
  if (logType !== 'json-file' && logType !== 'none' && logType !== 'local') {
    throw new InvalidParameter(`logger: no log driver named '${logType}' is registered`);
  }
  h.LogConfig = { Type: logType, Config: h.LogConfig?.Config ?? {} };
  if (logType !== 'none') {
    try {
      parseLogOpts(h.LogConfig.Config ?? {});
    } catch (e) {
      throw new InvalidParameter((e as Error).message);
    }
  }
  h.ShmSize = h.ShmSize && h.ShmSize > 0 ? h.ShmSize : 67108864;
  h.Binds = h.Binds ?? null;
  h.PortBindings = h.PortBindings ?? {};
  h.AutoRemove = h.AutoRemove ?? false;
  h.CgroupnsMode = h.CgroupnsMode || 'host';
  h.IpcMode = h.IpcMode || 'private';
  h.Privileged = h.Privileged ?? false;
  h.ReadonlyRootfs = h.ReadonlyRootfs ?? false;
  h.ConsoleSize = h.ConsoleSize ?? [0, 0];
  h.Isolation = h.Isolation ?? '';
  h.Runtime = h.Runtime || 'runc';
  if (h.PidsLimit === 0) h.PidsLimit = null;
  for (const k of [
    'Memory',
    'NanoCpus',
    'CpuShares',
    'CpuPeriod',
    'CpuQuota',
    'MemorySwap',
    'MemoryReservation',
  ] as const) {
    const v = h[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v)))
      throw new InvalidParameter(`invalid ${k}: ${String(v)}`);
  }
  checkResources(h);
  // dockerd records the swap limit a memory limit implies (twice the memory).
  if (h.Memory && h.Memory > 0 && !h.MemorySwap) h.MemorySwap = h.Memory * 2;
  parseSecurityOpt(h.SecurityOpt);
  checkDevices(h);
  checkSysctls(h);
  // dockerd records the default masked and read-only paths (a privileged container has none).
  if (!h.Privileged) {
    h.MaskedPaths = Array.isArray(h.MaskedPaths) ? h.MaskedPaths : [...DOCKER_MASKED_PATHS];
    h.ReadonlyPaths = Array.isArray(h.ReadonlyPaths) ? h.ReadonlyPaths : [...DOCKER_READONLY_PATHS];
  } else {
    h.MaskedPaths = null;
    h.ReadonlyPaths = null;
  }
  return h;
}

/** Runs `fn` on a read-only view of the container's new rootfs (the image's files). */
async function withImageRoot<T>(e: Engine, id: string, fn: (root: string) => Promise<T>): Promise<T> {
  return e.c.snapshotter().withTempMount(id, fn, { readonly: true, prefix: 'tsctr-rootfs-' });
}

/**
 * Docker's copy-up: a volume that is still empty gets what the image has at its mount point (so a
 * new volume on /etc starts with the image's /etc), unless the mount says `nocopy`. The image path
 * is resolved inside the image root: a symlink there never leads to the host's files.
 */
const INIT_PATH = '/sbin/docker-init';

/** A static init binary on this host for --init, or a clear refusal (never a silent ignore). */
function initBinary(): string {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    for (const name of ['docker-init', 'tini-static']) {
      const p = path.join(dir, name);
      if (existsSync(p)) return p;
    }
  }
  throw new InvalidParameter(
    '--init: no static init binary (docker-init or tini-static, Debian package tini) on this host',
  );
}

async function copyUp(root: string, mounts: MountPoint[]): Promise<void> {
  for (const m of mounts) {
    if (m.Type !== 'volume' || m.Mode.split(',').includes('nocopy')) continue;
    if (readdirSync(m.Source).length > 0) continue;
    let from: string;
    try {
      from = await resolveInRoot(root, m.Destination);
    } catch {
      continue;
    }
    if (!lstatSync(from, { throwIfNoEntry: false })?.isDirectory()) continue;
    await run('cp', ['-a', '--', `${from}/.`, `${m.Source}/`]);
  }
}

const NS_PER_MS = 1_000_000;

/** What dockerd refuses in a create body's Config, with its texts (validation before any work). */
export function checkConfig(body: CreateBody): void {
  for (const kv of body.Env ?? []) {
    if (typeof kv !== 'string' || kv.startsWith('=') || kv === '')
      throw new InvalidParameter(`invalid environment variable: ${String(kv)}`);
  }
  const h = body.Healthcheck;
  if (h) {
    for (const [k, label] of [
      ['Interval', 'Interval'],
      ['Timeout', 'Timeout'],
      ['StartPeriod', 'StartPeriod'],
    ] as const) {
      const v = h[k];
      if (typeof v === 'number' && v !== 0 && v < NS_PER_MS)
        throw new InvalidParameter(`${label} in Healthcheck cannot be less than 1ms`);
    }
    if (typeof h.Retries === 'number' && h.Retries < 0)
      throw new InvalidParameter('Retries in Healthcheck cannot be negative');
  }
  const runtime = body.HostConfig?.Runtime;
  if (runtime && runtime !== 'runc')
    throw new InvalidParameter(`unknown or invalid runtime name: ${runtime}`);
}

/** `--volumes-from name[:ro|rw]`: the containers, each with the mode its mounts are taken in. */
function volumesFromSources(
  e: Engine,
  refs: string[] | null | undefined,
): Array<{ rec: ContainerRecord; rw: boolean | undefined }> {
  return (refs ?? []).map((text) => {
    const i = text.lastIndexOf(':');
    const mode = i > 0 ? text.slice(i + 1) : '';
    if (mode && mode !== 'ro' && mode !== 'rw')
      throw new InvalidParameter(`invalid mode for volumes-from: ${mode}`);
    return { rec: e.store.get(mode ? text.slice(0, i) : text), rw: mode ? mode === 'rw' : undefined };
  });
}

/**
 * The sources' volumes and binds join the container's mounts (its own mounts win; an anonymous
 * volume made for an image VOLUME at the same place gives way).
 */
function addVolumesFrom(
  e: Engine,
  rec: ContainerRecord,
  from: Array<{ rec: ContainerRecord; rw: boolean | undefined }>,
): void {
  for (const src of from) {
    for (const m of src.rec.Mounts) {
      if (m.Type === 'tmpfs' || m.Destination === INIT_PATH) continue;
      const at = rec.Mounts.findIndex((x) => x.Destination === m.Destination);
      if (at >= 0) {
        const mine = rec.Mounts[at];
        if (!(mine.anonymous && mine.Name)) continue;
        e.volumes.remove(mine.Name, true);
        rec.Mounts.splice(at, 1);
      }
      const rw = src.rw ?? m.RW;
      rec.Mounts.push({ ...m, RW: rw, Mode: rw ? m.Mode.replace(/\bro\b/, 'rw') : 'ro', anonymous: false });
    }
  }
}

export async function createContainer(
  e: Engine,
  body: CreateBody,
  nameParam: string,
  platform?: Platform,
): Promise<{ Id: string; Warnings: string[] }> {
  if (!body || typeof body !== 'object')
    throw new InvalidParameter('Config cannot be empty in order to create a container');
  if (!body.Image) throw new InvalidParameter('No image was specified');
  checkConfig(body);
  const img = await e.images.resolve(body.Image, { allNames: false });
  if (platform) {
    // As dockerd: a 404, so the CLI goes on to pull the image for that platform.
    const have = { os: img.config.os, architecture: img.config.architecture, variant: img.config.variant };
    if (!onlyMatcher(platform).match(have))
      throw new NotFound(
        `image with reference ${body.Image} was found but does not match the specified platform: ` +
          `wanted ${formatPlatform(platform)}, actual: ${formatPlatform(have)}`,
      );
  }
  const ic = img.config.config ?? {};
  const hc = normalizeHostConfig(body.HostConfig);
  checkHostOptions(body, hc, (ref) => {
    try {
      e.store.get(ref);
      return true;
    } catch {
      return false;
    }
  });

  // Cmd and entrypoint: an entrypoint given in the body drops the image's cmd (Docker's rule).
  const bodyEntry = list(body.Entrypoint);
  const entrypoint =
    bodyEntry !== undefined
      ? bodyEntry.filter((s, i) => !(i === 0 && s === '' && bodyEntry.length === 1))
      : (ic.Entrypoint ?? []);
  const cmd = list(body.Cmd) ?? (bodyEntry !== undefined ? [] : (ic.Cmd ?? []));
  const command = [...entrypoint, ...cmd];
  if (command.length === 0) throw new InvalidParameter('No command specified');
  // --init: a small init as PID 1 that forwards signals and reaps (Docker's docker-init, i.e. tini).
  const init = hc.Init ? initBinary() : undefined;
  const argv = init ? [INIT_PATH, '--', ...command] : command;

  // Checked before anything is made: a missing source is Docker's 404.
  const from = volumesFromSources(e, hc.VolumesFrom);
  const id = newId();
  const name = nameParam ? validName(nameParam) : randomName((n) => e.store.nameTaken(n));
  e.store.reserve(name, id);
  const cfg: ContainerConfig = {
    Hostname: body.Hostname || (hc.NetworkMode === 'host' ? os.hostname() : id.slice(0, 12)),
    Domainname: body.Domainname ?? '',
    User: body.User || ic.User || '',
    AttachStdin: body.AttachStdin ?? false,
    AttachStdout: body.AttachStdout ?? false,
    AttachStderr: body.AttachStderr ?? false,
    ...(body.ExposedPorts || ic.ExposedPorts
      ? { ExposedPorts: { ...(ic.ExposedPorts ?? {}), ...(body.ExposedPorts ?? {}) } }
      : {}),
    Tty: body.Tty ?? false,
    OpenStdin: body.OpenStdin ?? false,
    StdinOnce: body.StdinOnce ?? false,
    Env: mergeEnv(ic.Env, body.Env),
    Cmd: cmd.length > 0 ? cmd : null,
    ...(body.Healthcheck?.Test?.length
      ? { Healthcheck: body.Healthcheck }
      : ic.Healthcheck?.Test?.length
        ? { Healthcheck: { ...ic.Healthcheck, ...(body.Healthcheck ?? {}), Test: ic.Healthcheck.Test } }
        : {}),
    Image: body.Image,
    Volumes: body.Volumes || ic.Volumes ? { ...(ic.Volumes ?? {}), ...(body.Volumes ?? {}) } : null,
    WorkingDir: body.WorkingDir || ic.WorkingDir || '',
    Entrypoint: entrypoint.length > 0 ? entrypoint : null,
    OnBuild: null,
    Labels: { ...(ic.Labels ?? {}), ...(body.Labels ?? {}) },
    ...(body.StopSignal || ic.StopSignal ? { StopSignal: body.StopSignal || ic.StopSignal } : {}),
    ...(typeof body.StopTimeout === 'number' ? { StopTimeout: body.StopTimeout } : {}),
  };
  const dir = e.store.dir(id);
  const rec: ContainerRecord = {
    Id: id,
    Name: name,
    Created: new Date()
      .toISOString()
      .replace('Z', `${String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0')}Z`),
    Path: argv[0],
    Args: argv.slice(1),
    Config: cfg,
    HostConfig: hc,
    NetworkingConfig: body.NetworkingConfig ?? {},
    Image: img.id,
    State: createdState(),
    RestartCount: 0,
    Mounts: [],
    ManuallyStopped: false,
    HasBeenStarted: false,
    LogPath: hc.LogConfig?.Type === 'none' ? '' : path.join(dir, `${id}-json.log`),
    HostnamePath: '',
    HostsPath: '',
    ResolvConfPath: '',
  };
  rec.NetworkSettings = initialNetworkState(rec);
  let prepared = false;
  try {
    rec.Mounts = resolveMounts({
      hostConfig: hc,
      volumePaths: Object.keys(cfg.Volumes ?? {}),
      volumes: e.volumes,
      onVolumeCreated: (v) => e.events.publish('volume', 'create', v, { driver: 'local' }),
    });
    addVolumesFrom(e, rec, from);
    if (init) {
      rec.Mounts.push({
        Type: 'bind',
        Source: init,
        Destination: INIT_PATH,
        Mode: 'ro',
        RW: false,
        Propagation: 'rprivate',
      });
    }
    e.store.save(rec);
    await e.c.snapshotter().prepare(id, img.chainId, { [GC_ROOT]: new Date().toISOString() });
    prepared = true;
    const copy = rec.Mounts.some((m) => m.Type === 'volume' && readdirSync(m.Source).length === 0);
    const namedGroups = (hc.GroupAdd ?? []).some((g) => !/^\d+$/.test(g));
    const users: UserDb =
      cfg.User || copy || namedGroups
        ? await withImageRoot(e, id, async (root) => {
            if (copy) await copyUp(root, rec.Mounts);
            return cfg.User || namedGroups ? readUserDb(root) : {};
          })
        : {};
    // A user or group the image does not have is the request's fault: 400, not a 500.
    const spec = await buildSpec({ rec, image: ic, users, security: e.opts.security }).catch(
      (err: unknown) => {
        if (err instanceof Error && /^unable to find (user|group)/.test(err.message))
          throw new InvalidParameter(err.message);
        throw err;
      },
    );
    await e.lifecycle.configureSpec({ rec, spec, dir });
    await e.c.container(id).create({
      labels: { 'com.docker/engine.bundle.path': dir, ...(cfg.Labels ?? {}) },
      image: img.records[0]?.name ?? '',
      spec,
      snapshotter: DEFAULT_SNAPSHOTTER,
      snapshotKey: id,
    });
    e.store.save(rec);
  } catch (err) {
    if (prepared)
      await e.c
        .snapshotter()
        .remove(id)
        .catch(() => undefined);
    for (const m of rec.Mounts) if (m.anonymous && m.Name) e.volumes.remove(m.Name, true);
    e.store.remove(id);
    e.store.release(name, id);
    throw err;
  }
  e.runtime(id);
  await e.lifecycle.created(rec);
  e.containerEvent(rec, 'create');
  e.log.info({ ns: NAMESPACE, id, name }, 'container created');
  return { Id: id, Warnings: [] };
}
