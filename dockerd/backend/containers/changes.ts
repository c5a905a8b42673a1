// GET /containers/{id}/changes (docker diff): what the container changed in its filesystem, read
// from its overlay upper directory — a whiteout is a deletion, anything else an addition or, when
// the image's layers have the path too, a modification.
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../types.js';

export const enum ChangeKind {
  Modify = 0,
  Add = 1,
  Delete = 2,
}

export interface Change {
  Path: string;
  Kind: ChangeKind;
}

async function existsIn(lowers: string[], rel: string): Promise<boolean> {
  for (const l of lowers) {
    try {
      await lstat(path.join(l, rel));
      return true;
    } catch {
      continue;
    }
  }
  return false;
}

export async function containerChanges(e: Engine, rec: ContainerRecord): Promise<Change[]> {
  const mounts = await e.c.snapshotter().mounts(rec.Id);
  const opts = mounts[0]?.options ?? [];
  const upper = opts.find((o) => o.startsWith('upperdir='))?.slice('upperdir='.length);
  if (!upper) return [];
  const lowers = (opts.find((o) => o.startsWith('lowerdir='))?.slice('lowerdir='.length) ?? '')
    .split(':')
    .filter(Boolean);
  const out: Change[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(path.join(upper, rel))).sort();
    for (const name of names) {
      const r = path.posix.join(rel, name);
      const st = await lstat(path.join(upper, r));
      const p = `/${r}`;
      // A 0/0 character device is overlayfs's whiteout: the path was deleted.
      if (st.isCharacterDevice() && st.rdev === 0) {
        out.push({ Path: p, Kind: ChangeKind.Delete });
        continue;
      }
      out.push({ Path: p, Kind: (await existsIn(lowers, r)) ? ChangeKind.Modify : ChangeKind.Add });
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk('');
  // The mount points of the generated /etc files appear in every container: Docker leaves them out.
  const generated = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/dev', '/proc', '/sys']);
  return out.filter((c) => !generated.has(c.Path) || c.Kind === ChangeKind.Delete);
}
