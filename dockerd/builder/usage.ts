// Bytes a directory tree holds (files' allocated blocks), for the space a prune reclaims.
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

export function diskUsage(p: string): number {
  const st = lstatSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  let n = st.blocks * 512;
  if (st.isDirectory()) for (const c of readdirSync(p)) n += diskUsage(path.join(p, c));
  return n;
}
