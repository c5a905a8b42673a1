// Creating a container from an image the way ctr does: an active snapshot on the image's top chain
// ID, a spec from the defaults + the image config (users resolved in the image's own /etc/passwd,
// read through a read-only mount), and a container record naming both.
import { mkdtempSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Connection } from '../connection.js';
import { chainIds } from '../images/chain.js';
import { imageConfig, platformManifest } from '../images/walk.js';
import type { Descriptor } from '../images/oci.js';
import { mountAll } from '../mount.js';
import {
  type Mount,
  type Spec,
  type SpecOpt,
  applyOpts,
  defaultSpec,
  readUserDb,
  withCpus,
  withCwd,
  withEnv,
  withImageConfig,
  withMemoryLimit,
  withMounts,
  withTty,
  withUser,
} from '../spec/index.js';

const run = promisify(execFile);

export const SPEC_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Spec';

export interface ContainerOptions {
  id: string;
  image: string;
  args: string[];
  env?: string[];
  cwd?: string;
  user?: string;
  memoryBytes?: number;
  cpus?: number;
  mounts?: Mount[];
  labels?: Record<string, string>;
  snapshotter?: string;
  runtime?: string;
  tty?: boolean;
}

export async function createContainer(c: Connection, o: ContainerOptions): Promise<Spec> {
  const snapshotter = o.snapshotter ?? 'overlayfs';
  const { image } = await c.call(c.images, c.images.get, { name: o.image });
  const { manifest } = await platformManifest(c, image!.target! as Descriptor);
  const config = await imageConfig(c, manifest);
  const top = chainIds(config.rootfs.diff_ids).pop() ?? '';
  const { mounts } = await c.call(c.snapshots, c.snapshots.prepare, {
    snapshotter,
    key: o.id,
    parent: top,
    labels: {},
  });
  try {
    // Read the image's users through a read-only view of what we just prepared.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-users-'));
    let users;
    try {
      await mountAll(
        mounts.map((m) => ({ ...m, options: m.options.map((x) => (x === 'rw' ? 'ro' : x)) })),
        dir,
      );
      try {
        users = await readUserDb(dir);
      } finally {
        await run('umount', [dir]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const opts: SpecOpt[] = [
      withImageConfig(config.config ?? {}, users, o.args.length > 0 ? o.args : undefined),
    ];
    if (o.env?.length) opts.push(withEnv(o.env));
    if (o.cwd) opts.push(withCwd(o.cwd));
    if (o.user) opts.push(withUser(o.user, users));
    if (o.memoryBytes) opts.push(withMemoryLimit(o.memoryBytes));
    if (o.cpus) opts.push(withCpus(o.cpus));
    if (o.mounts?.length) opts.push(withMounts(o.mounts));
    if (o.tty) opts.push(withTty(true));
    const spec = applyOpts(defaultSpec(c.namespace, o.id), ...opts);
    await c.call(c.containers, c.containers.create, {
      container: {
        id: o.id,
        labels: o.labels ?? {},
        image: o.image,
        runtime: { name: o.runtime ?? 'io.containerd.runc.v2', options: undefined },
        spec: { typeUrl: SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(spec)) },
        snapshotter,
        snapshotKey: o.id,
        createdAt: undefined,
        updatedAt: undefined,
        extensions: {},
      },
    });
    return spec;
  } catch (e) {
    await c.call(c.snapshots, c.snapshots.remove, { snapshotter, key: o.id }).catch(() => undefined);
    throw e;
  }
}

/** Removes a container and its snapshot (ctr's WithSnapshotCleanup). */
export async function deleteContainer(c: Connection, id: string): Promise<void> {
  const { container } = await c.call(c.containers, c.containers.get, { id });
  await c.call(c.containers, c.containers.delete, { id });
  if (container?.snapshotKey) {
    await c
      .call(c.snapshots, c.snapshots.remove, {
        snapshotter: container.snapshotter,
        key: container.snapshotKey,
      })
      .catch(() => undefined);
  }
}
