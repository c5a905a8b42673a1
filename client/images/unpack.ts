// Unpacks layers into snapshots through the Snapshots and Diff services, as containerd's client does:
// a snapshot per chain ID, applied under an "extract-…" key, then committed under the chain ID.
import { randomBytes } from 'node:crypto';
import { isAlreadyExists, isNotFound } from '../../api/errdefs.js';
import type { Connection } from '../connection.js';
import { setContentLabels } from '../services/content.js';
import { applyLayer } from '../services/diff.js';
import type { Descriptor } from './oci.js';
import { chainIds } from './chain.js';

export interface LayerJob {
  layer: Descriptor;
  diffId: string;
  chainId: string;
  /** Chain ID of the layer below, "" for the first. */
  parent: string;
}

const inflight = new Map<string, Promise<boolean>>();

function extractKey(chainId: string): string {
  return `extract-${process.hrtime.bigint() % 1_000_000_000n}-${randomBytes(3).toString('base64url')} ${chainId}`;
}

/** Is the snapshot for this chain ID already committed? */
export async function haveSnapshot(c: Connection, snapshotter: string, chainId: string): Promise<boolean> {
  try {
    await c.snapshotter(snapshotter).stat(chainId);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

async function applyOnce(c: Connection, snapshotter: string, job: LayerJob): Promise<boolean> {
  if (await haveSnapshot(c, snapshotter, job.chainId)) return false;
  const sn = c.snapshotter(snapshotter);
  let key = extractKey(job.chainId);
  let mounts;
  for (let attempt = 0; ; attempt++) {
    try {
      mounts = await sn.prepare(key, job.parent);
      break;
    } catch (e) {
      if (!isAlreadyExists(e) || attempt > 3) throw e;
      key = extractKey(job.chainId);
    }
  }
  try {
    const applied = await applyLayer(c, job.layer, mounts);
    if (applied.digest !== job.diffId) {
      throw new Error(
        `wrong diff id calculated on extraction of ${job.layer.digest}: ${applied.digest}, expected ${job.diffId}`,
      );
    }
    try {
      await sn.commit(job.chainId, key);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      await sn.remove(key).catch(() => undefined);
    }
  } catch (e) {
    await sn.remove(key).catch(() => undefined);
    throw e;
  }
  await setContentLabels(c, job.layer.digest, { 'containerd.io/uncompressed': job.diffId });
  return true;
}

/**
 * Unpacks one layer (its parent must be unpacked already). Concurrent callers for the same chain ID in
 * this process share one extraction. Returns whether this call did the work.
 */
export function unpackLayer(c: Connection, snapshotter: string, job: LayerJob): Promise<boolean> {
  const k = `${c.address}\x00${c.namespace}\x00${snapshotter}\x00${job.chainId}`;
  const running = inflight.get(k);
  if (running) return running.then(() => false);
  const p = applyOnce(c, snapshotter, job).finally(() => inflight.delete(k));
  inflight.set(k, p);
  return p;
}

/**
 * Unpacks a manifest's layers in order, each once `ready(i)` says its blob is in (pull passes the
 * downloads, so unpacking runs while later layers still arrive), then roots the top snapshot to the
 * image's config for the GC. Returns the top chain ID.
 */
export async function unpackChain(
  c: Connection,
  snapshotter: string,
  layers: Descriptor[],
  diffIds: string[],
  configDigest: string,
  hooks: {
    ready?: (i: number) => Promise<void>;
    before?: (d: Descriptor) => void;
    after?: (d: Descriptor) => void;
  } = {},
): Promise<string> {
  const chain = chainIds(diffIds);
  for (let i = 0; i < layers.length; i++) {
    await hooks.ready?.(i);
    hooks.before?.(layers[i]);
    await unpackLayer(c, snapshotter, {
      layer: layers[i],
      diffId: diffIds[i],
      chainId: chain[i],
      parent: i > 0 ? chain[i - 1] : '',
    });
    hooks.after?.(layers[i]);
  }
  const top = chain[chain.length - 1] ?? '';
  if (top) {
    const key = `containerd.io/gc.ref.snapshot.${snapshotter}`;
    await setContentLabels(c, configDigest, { [key]: top });
  }
  return top;
}
