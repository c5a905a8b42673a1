// docker cp and docker export: the archive endpoints over a container's root filesystem — the live
// view of a running one (/proc/PID/root, which includes its volumes), a temporary mount of its
// snapshot otherwise — with every path confined by dockerd/archive.
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as archive from '../../archive/index.js';
import { InvalidParameter, NotFound } from '../../errdefs/index.js';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../types.js';

/** Runs `fn` on the container's root filesystem: the live view of a running one, a mount otherwise. */
export async function withRoot<T>(
  e: Engine,
  rec: ContainerRecord,
  fn: (root: string) => Promise<T>,
): Promise<T> {
  if (rec.State.Running && rec.State.Pid) return fn(`/proc/${rec.State.Pid}/root`);
  return e.c.snapshotter().withTempMount(rec.Id, fn, { prefix: 'tsctr-cp-' });
}

export async function statPath(e: Engine, rec: ContainerRecord, p: string): Promise<string> {
  if (!p) throw new InvalidParameter('path is required');
  return withRoot(e, rec, async (root) => archive.encodeStatHeader(await statIn(rec, root, p)));
}

async function statIn(rec: ContainerRecord, root: string, p: string): Promise<archive.PathStat> {
  try {
    return await archive.statPath(root, p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFound(`Could not find the file ${p} in container ${rec.Name.slice(1)}`);
    throw e;
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
        await pipeline(archive.packPath(root, p), out);
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
  if (rec.HostConfig.ReadonlyRootfs) throw new InvalidParameter('container rootfs is marked read-only');
  await withRoot(e, rec, async (root) => {
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

export async function exportContainer(e: Engine, rec: ContainerRecord, open: () => Writable): Promise<void> {
  await withRoot(e, rec, async (root) => {
    await pipeline(archive.packPath(root, '/', { contentsOnly: true }), open());
    e.containerEvent(rec, 'export');
  });
}
