// docker image prune: images without a name that no other image builds on and no container uses
// (with dangling=false: any image no container uses and nothing builds on), removed leaf first, so
// a build's step images go with the final image they led to, as dockerd's prune of parent chains.
import type { Engine } from '../engine.js';
import { DANGLING_PREFIX, type ResolvedImage, parentId } from '../images.js';
import { tagsOf } from './ops.js';

export async function pruneImages(
  e: Engine,
  o: { danglingOnly: boolean; keep: (img: ResolvedImage) => boolean },
): Promise<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }>; SpaceReclaimed: number }> {
  const all = await e.images.list();
  const byId = new Map(all.map((i) => [i.id, i]));
  const children = new Map<string, number>();
  for (const img of all) {
    const p = parentId(img);
    if (p) children.set(p, (children.get(p) ?? 0) + 1);
  }
  const used = new Set(e.store.list().map((c) => c.Image));
  const deleted: Array<{ Untagged?: string; Deleted?: string }> = [];
  let reclaimed = 0;
  const prunable = (img: ResolvedImage) =>
    !used.has(img.id) &&
    (children.get(img.id) ?? 0) === 0 &&
    (!o.danglingOnly || tagsOf(img).length === 0) &&
    !o.keep(img);
  const queue = all.filter(prunable);
  while (queue.length > 0) {
    const img = queue.shift()!;
    if (!byId.has(img.id)) continue;
    byId.delete(img.id);
    for (const t of tagsOf(img)) deleted.push({ Untagged: t });
    for (const r of img.records) await e.c.image(r.name).delete(false);
    deleted.push({ Deleted: img.id });
    e.events.publish('image', 'delete', img.id, { name: img.id });
    const p = parentId(img);
    const parent = p ? byId.get(p) : undefined;
    reclaimed += Math.max(0, img.size - (parent?.size ?? 0));
    if (parent) {
      children.set(p, (children.get(p) ?? 1) - 1);
      // The chain goes on only through unnamed step images (a named parent is kept).
      if (prunable(parent) && parent.records.every((r) => r.name.startsWith(DANGLING_PREFIX)))
        queue.push(parent);
    }
  }
  return { ImagesDeleted: deleted, SpaceReclaimed: reclaimed };
}
