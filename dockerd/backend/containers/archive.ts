// docker cp and docker export: the archive endpoints over a container's root filesystem — the live
// view of a running one (/proc/PID/root, which includes its volumes), a temporary mount of its
// snapshot otherwise — with every path confined by dockerd/archive.
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as archive from '../../archive/index.js';
import { MNT_DETACH, mountSyscall, umount } from '../../../pkg/sys/mount.js';
import { InvalidParameter, NotFound } from '../../errdefs/index.js';
import type { Engine } from '../engine.js';
import type { ContainerRecord, MountPoint } from '../types.js';

/**
 * Runs `fn` on the container's root filesystem: the live view of a running one; otherwise a mount of
 * its snapshot with its volumes and binds mounted in (as dockerd's MountVolumes), read-only ones
 * read-only, so `docker cp` sees the same tree either way.
 */
export async function withRoot<T>(
  e: Engine,
  rec: ContainerRecord,
  fn: (root: string) => Promise<T>,
): Promise<T> {
  // A process that just exited (its exit not yet recorded) has no /proc root: the snapshot then.
  if (rec.State.Running && rec.State.Pid && existsSync(`/proc/${rec.State.Pid}/root`))
    return fn(`/proc/${rec.State.Pid}/root`);
  return e.c.snapshotter().withTempMount(rec.Id, (root) => withMountPoints(rec, root, fn), {
    prefix: 'tsctr-cp-',
  });
}

async function withMountPoints<T>(
  rec: ContainerRecord,
  root: string,
  fn: (root: string) => Promise<T>,
): Promise<T> {
  const mounted: string[] = [];
  try {
    // Parents first, so a mount inside another volume lands in it.
    const points = [...rec.Mounts]
      .filter((m) => m.Type !== 'tmpfs' && m.Source)
      .sort((a, b) => a.Destination.split('/').length - b.Destination.split('/').length);
    for (const m of points) {
      const st = await fs.stat(m.Source).catch(() => undefined);
      if (!st) continue; // a bind source gone from the host: the container's own path shows
      const dest = await archive.resolveInRoot(root, m.Destination);
      if (st.isDirectory()) await fs.mkdir(dest, { recursive: true });
      else {
        await fs.mkdir(path.dirname(dest), { recursive: true });
        await fs.writeFile(dest, '', { flag: 'a' });
      }
      mountSyscall({ type: 'bind', source: m.Source, options: [m.RW ? 'rw' : 'ro'] }, dest);
      mounted.push(dest);
    }
    return await fn(root);
  } finally {
    for (const d of mounted.reverse()) umount(d, MNT_DETACH);
  }
}

/** Filesystems a live container's root shows that are not its files (dockerd's view has none of them). */
const KERNEL_FS = new Set(['proc', 'sysfs', 'tmpfs', 'devpts', 'devtmpfs', 'mqueue', 'cgroup', 'cgroup2']);

/**
 * For a running container (root `/proc/PID/root`): the devices of its kernel filesystem mounts, so an
 * archive of `/` or `/dev` lists those directories empty, as dockerd's (its rootfs and volumes only).
 */
function kernelMountDevices(rec: ContainerRecord, root: string): ReadonlySet<bigint> | undefined {
  if (!(rec.State.Running && rec.State.Pid) || root !== `/proc/${rec.State.Pid}/root`) return undefined;
  const devs = new Set<bigint>();
  let info = '';
  try {
    info = readFileSync(`/proc/${rec.State.Pid}/mountinfo`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of info.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash < 0 || !KERNEL_FS.has(f[dash + 1])) continue;
    const at = f[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    try {
      devs.add(lstatSync(`${root}${at}`, { bigint: true }).dev);
    } catch {
      // gone meanwhile
    }
  }
  return devs;
}

/** The container's volume or bind that holds container path `p` (lexically, as dockerd checks). */
function mountPointOf(rec: ContainerRecord, p: string): MountPoint | undefined {
  const clean = path.posix.normalize(`/${p}`);
  let best: MountPoint | undefined;
  for (const m of rec.Mounts) {
    const rel = path.posix.relative(m.Destination, clean);
    if (rel.startsWith('..') || path.posix.isAbsolute(rel)) continue;
    if (!best || m.Destination.length > best.Destination.length) best = m;
  }
  return best;
}

export async function statPath(e: Engine, rec: ContainerRecord, p: string): Promise<string> {
  if (!p) throw new InvalidParameter('path is required');
  return withRoot(e, rec, async (root) => archive.encodeStatHeader(await statIn(rec, root, p)));
}

/** What the filesystem says of a client's path, as the client's error: 404 missing, 400 unusable. */
function pathError(e: unknown, rec: ContainerRecord, p: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new NotFound(`Could not find the file ${p} in container ${rec.Name.slice(1)}`);
  if (
    code === 'ENAMETOOLONG' ||
    code === 'ELOOP' ||
    code === 'ENOTDIR' ||
    code === 'EINVAL' ||
    code === 'EEXIST'
  )
    return new InvalidParameter((e as Error).message);
  return e;
}

async function statIn(rec: ContainerRecord, root: string, p: string): Promise<archive.PathStat> {
  try {
    return await archive.statPath(root, p);
  } catch (e) {
    throw pathError(e, rec, p);
  }
}

export async function getArchive(
  e: Engine,
  rec: ContainerRecord,
  p: string,
): Promise<{ stat: string; open: (out: Writable) => Promise<void> }> {
  if (!p) throw new InvalidParameter('path is required');
  // The stat is taken first so a missing path is a 404 before any byte is sent.
  let header = '';
  await withRoot(e, rec, async (root) => {
    header = archive.encodeStatHeader(await statIn(rec, root, p));
  });
  return {
    stat: header,
    open: (out) =>
      withRoot(e, rec, async (root) => {
        const skipDevices = kernelMountDevices(rec, root);
        await pipeline(archive.packPath(root, p, skipDevices ? { skipDevices } : {}), out);
      }),
  };
}

export async function putArchive(
  e: Engine,
  rec: ContainerRecord,
  p: string,
  body: Readable,
  o: { noOverwriteDirNonDir: boolean },
): Promise<void> {
  // As dockerd: a read-only root only matters outside volumes; a read-only volume refuses writes.
  const vol = mountPointOf(rec, p);
  if (vol && !vol.RW) throw new InvalidParameter('mounted volume is marked read-only');
  if (!vol && rec.HostConfig.ReadonlyRootfs)
    throw new InvalidParameter('container rootfs is marked read-only');
  await withRoot(e, rec, async (root) => {
    try {
      await archive.extractInto(root, p, body, o);
    } catch (e) {
      throw pathError(e, rec, p);
    }
  });
}

export async function exportContainer(e: Engine, rec: ContainerRecord, open: () => Writable): Promise<void> {
  await withRoot(e, rec, async (root) => {
    const skipDevices = kernelMountDevices(rec, root);
    await pipeline(
      archive.packPath(root, '/', { contentsOnly: true, ...(skipDevices ? { skipDevices } : {}) }),
      open(),
    );
    e.containerEvent(rec, 'export');
  });
}
