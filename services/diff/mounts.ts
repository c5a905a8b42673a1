// Turns the mounts a Diff request names back into directories, refusing any that are not snapshot
// directories of one of our snapshotters (a client must not make tsctrd write elsewhere).
import path from 'node:path';
import { invalidArgument } from '../../api/errdefs.js';
import type { Mount } from '../snapshots/backend.js';

export interface LayerDirs {
  /** Where the layer's own files go (overlay upper dir, or the plain tree). */
  root: string;
  /** Parent layers, nearest first (overlay only). */
  lowers: string[];
  mode: 'overlay' | 'naive';
}

function option(m: Mount, name: string): string | undefined {
  const o = m.options.find((x) => x.startsWith(`${name}=`));
  return o?.slice(name.length + 1);
}

function inside(allowed: string[], dir: string): string {
  const p = path.resolve(dir);
  if (!allowed.some((a) => p.startsWith(`${path.resolve(a)}${path.sep}`))) {
    throw invalidArgument(`mount path ${JSON.stringify(dir)} is not a snapshot of this daemon`);
  }
  return p;
}

/** `allowed` are the snapshotters' snapshot directories. */
export function layerDirs(mounts: Mount[], allowed: string[], writable: boolean): LayerDirs {
  if (mounts.length !== 1) throw invalidArgument(`expected exactly one mount, got ${mounts.length}`);
  const m = mounts[0];
  if (m.type === 'overlay') {
    const upper = option(m, 'upperdir');
    const lower = option(m, 'lowerdir') ?? '';
    const lowers = lower ? lower.split(':').map((d) => inside(allowed, d)) : [];
    if (!upper) {
      if (writable) throw invalidArgument('overlay mount has no upperdir to write to');
      return { root: lowers[0], lowers: lowers.slice(1), mode: 'overlay' };
    }
    return { root: inside(allowed, upper), lowers, mode: 'overlay' };
  }
  if (m.type === 'bind' || m.type === 'rbind') {
    if (writable && m.options.includes('ro'))
      throw invalidArgument('cannot apply a layer to a read-only mount');
    return { root: inside(allowed, m.source), lowers: [], mode: 'naive' };
  }
  throw invalidArgument(`unsupported mount type ${JSON.stringify(m.type)}`);
}
