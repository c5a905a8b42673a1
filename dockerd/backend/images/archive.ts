// docker save and docker load: image tars (OCI layout with Docker's manifest.json on the way out;
// OCI layout or `docker save` format on the way in), names normalised, loaded images unpacked.
import type { Readable, Writable } from 'node:stream';
import { exportImages, importArchive } from '../../../client/images/archive.js';
import { unpackImage } from '../../../client/images/unpack-image.js';
import { parseReference } from '../../../client/remotes/reference.js';
import { DEFAULT_SNAPSHOTTER } from '../../../client/snapshotter.js';
import { InvalidParameter } from '../../errdefs/index.js';
import type { Engine } from '../engine.js';

/** Resolves every name first, so an unknown one is a 404 before any byte is sent. */
export async function resolveSaveNames(e: Engine, names: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const n of names) {
    const img = await e.images.resolve(n);
    let name: string | undefined;
    try {
      const r = parseReference(n);
      if (img.records.some((x) => x.name === r.string)) name = r.string;
    } catch {
      name = undefined;
    }
    out.push(name ?? img.records[0].name);
  }
  return out;
}

export async function saveImages(e: Engine, names: string[], out: Writable): Promise<void> {
  await exportImages(e.c, names, out);
  for (const n of names) e.events.publish('image', 'save', n, { name: n });
}

export async function loadImages(e: Engine, input: Readable): Promise<string[]> {
  const c = e.c;
  let imported;
  try {
    imported = await importArchive(c, input);
  } catch (err) {
    throw new InvalidParameter(`failed to load archive: ${(err as Error).message}`);
  }
  const loaded: string[] = [];
  for (const im of imported) {
    let name = im.name;
    try {
      const r = parseReference(im.name);
      if (r.string !== im.name) {
        await c.image(r.string).put({ target: im.target }, ['target'], true);
        await c.image(im.name).delete();
        name = r.string;
      }
      loaded.push(r.familiar);
    } catch {
      loaded.push(name);
    }
    await unpackImage(c, im.target, DEFAULT_SNAPSHOTTER);
    e.events.publish('image', 'load', name, { name });
  }
  return loaded;
}
