import { createHash } from 'node:crypto';

/** containerd's chain IDs: chain[0] = diff[0]; chain[i] = sha256("<chain[i-1]> <diff[i]>"). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}
