// The GC's view of labels: which labels make an object a root, and which point at other objects.

export const GC_ROOT = 'containerd.io/gc.root';
export const GC_EXPIRE = 'containerd.io/gc.expire';
export const GC_FLAT = 'containerd.io/gc.flat';
const REF_CONTENT = 'containerd.io/gc.ref.content';
const REF_SNAPSHOT = 'containerd.io/gc.ref.snapshot.';

export type Ref =
  { kind: 'content'; digest: string } | { kind: 'snapshot'; snapshotter: string; key: string };

/** The objects a set of labels references through `containerd.io/gc.ref.*`. */
export function labelRefs(labels: Record<string, string> | undefined): Ref[] {
  const out: Ref[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k === REF_CONTENT || k.startsWith(`${REF_CONTENT}.`) || k.startsWith(`${REF_CONTENT}/`)) {
      out.push({ kind: 'content', digest: v });
    } else if (k.startsWith(REF_SNAPSHOT)) {
      const snapshotter = k.slice(REF_SNAPSHOT.length).split('/')[0];
      if (snapshotter) out.push({ kind: 'snapshot', snapshotter, key: v });
    }
  }
  return out;
}

/** Has this lease expired (label `containerd.io/gc.expire` in the past)? Unparseable values never expire. */
export function leaseExpired(labels: Record<string, string> | undefined, nowMs: number): boolean {
  const v = labels?.[GC_EXPIRE];
  if (!v) return false;
  const t = Date.parse(v);
  return !Number.isNaN(t) && t < nowMs;
}
