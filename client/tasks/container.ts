// Creating a container from an image the way ctr does: an active snapshot on the image's top chain
// ID, a spec from the defaults + the image config (users resolved in the image's own /etc/passwd,
// read through a read-only mount), and a container record naming both.
import type { Connection } from '../connection.js';
import { chainIds } from '../images/chain.js';
import { imageConfig, platformManifest } from '../images/walk.js';
import type { Descriptor } from '../images/oci.js';
import { SPEC_TYPE_URL } from '../services/containers.js';
import { DEFAULT_SNAPSHOTTER } from '../snapshotter.js';
import { withTempMount } from '../mount.js';
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

export { SPEC_TYPE_URL };

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
  const sn = c.snapshotter(o.snapshotter ?? DEFAULT_SNAPSHOTTER);
  const image = await c.image(o.image).get();
  const { manifest } = await platformManifest(c, image.target! as Descriptor);
  const config = await imageConfig(c, manifest);
  const top = chainIds(config.rootfs.diff_ids).pop() ?? '';
  const mounts = await sn.prepare(o.id, top);
  try {
    // Read the image's users through a read-only mount of what we just prepared.
    const users = await withTempMount(mounts, readUserDb, { readonly: true, prefix: 'tsctr-users-' });
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
    await c.container(o.id).create({
      labels: o.labels ?? {},
      image: o.image,
      runtime: o.runtime ?? 'io.containerd.runc.v2',
      spec,
      snapshotter: sn.name,
      snapshotKey: o.id,
    });
    return spec;
  } catch (e) {
    await sn.remove(o.id).catch(() => undefined);
    throw e;
  }
}

/** Removes a container and its snapshot (ctr's WithSnapshotCleanup). */
export async function deleteContainer(c: Connection, id: string): Promise<void> {
  const container = await c.container(id).get();
  await c.container(id).delete();
  if (container.snapshotKey) {
    await c
      .snapshotter(container.snapshotter)
      .remove(container.snapshotKey)
      .catch(() => undefined);
  }
}
