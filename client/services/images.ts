// Typed calls on tsctrd's Images service: a handle on one image record, and the list.
import { isAlreadyExists, isNotFound } from '../../api/errdefs.js';
import type { Image } from '../../api/gen/containerd/services/images/v1/images.js';
import type { Connection } from '../connection.js';

export type { Image };

/** What an image record holds besides its name. */
export interface ImageFields {
  target: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> };
  labels?: Record<string, string>;
}

export class ImageHandle {
  constructor(
    private readonly c: Connection,
    readonly name: string,
  ) {}

  private record(o: ImageFields): Image {
    return {
      name: this.name,
      labels: o.labels ?? {},
      target: { ...o.target, annotations: o.target.annotations ?? {} },
      createdAt: undefined,
      updatedAt: undefined,
    };
  }

  async get(): Promise<Image> {
    const c = this.c;
    return (await c.call(c.images, c.images.get, { name: this.name })).image!;
  }

  async create(o: ImageFields): Promise<Image> {
    const c = this.c;
    return (await c.call(c.images, c.images.create, { image: this.record(o) })).image!;
  }

  /** Writes the fields named in `paths` (e.g. `target`, `labels.x`; none: the whole record). */
  async update(o: ImageFields, paths: string[] = []): Promise<Image> {
    const c = this.c;
    return (await c.call(c.images, c.images.update, { image: this.record(o), updateMask: paths })).image!;
  }

  /**
   * Creates the record, or (when one exists) writes over it: the fields named in `paths`, or the
   * whole record. `anyError`: fall back to updating on any creation failure, not only AlreadyExists.
   */
  async put(o: ImageFields, paths: string[] = [], anyError = false): Promise<Image> {
    // A record deleted between the two (an `rmi` racing this pull) is created again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.create(o);
      } catch (e) {
        if (!anyError && !isAlreadyExists(e)) throw e;
      }
      try {
        return await this.update(o, paths);
      } catch (e) {
        if (!isNotFound(e) || attempt >= 5) throw e;
      }
    }
  }

  /** Deletes the record; `sync` waits for the GC to collect what only it referenced. */
  async delete(sync = false): Promise<void> {
    const c = this.c;
    await c.call(c.images, c.images.delete, { name: this.name, sync });
  }
}

/** The namespace's image records (containerd's filter syntax; none: all). */
export async function listImages(c: Connection, filters: string[] = []): Promise<Image[]> {
  return (await c.call(c.images, c.images.list, { filters })).images;
}
