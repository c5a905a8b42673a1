// Images: a name pointing at a root descriptor (index or manifest), with labels. The GC follows the
// target into the content store; deleting the last image of a blob lets the GC take it.
import { alreadyExists, invalidArgument, notFound } from '../../api/errdefs.js';
import type { EventPublisher } from '../events/exchange.js';
import { adapt, parseFilters } from '../filters/index.js';
import type { MetadataDB } from '../metadata/db.js';
import { keys, splitId } from '../metadata/keys.js';
import { type Labels, cleanLabels, updateLabels } from '../metadata/labels.js';
import { type Nanos, fromRecord, nowNanos, toRecord } from '../metadata/time.js';
import * as validate from '../validate/validate.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Labels;
}

export interface Image {
  name: string;
  labels: Labels;
  target: Descriptor;
  createdAt: Nanos;
  updatedAt: Nanos;
}

interface ImageRecord {
  labels: Labels;
  target: Descriptor;
  createdAt: string;
  updatedAt: string;
}

function checkName(name: string): string {
  if (!name) throw invalidArgument('image name must not be empty');
  if (name.includes('\x00') || name.length > 4096)
    throw invalidArgument(`image name ${JSON.stringify(name.slice(0, 80))} is not valid`);
  return name;
}

function checkTarget(t: Descriptor | undefined): Descriptor {
  if (!t) throw invalidArgument('image target is required');
  if (!t.mediaType) throw invalidArgument('image target media type must be set');
  validate.digest(t.digest);
  if (t.size < 0) throw invalidArgument('image target size must not be negative');
  return { mediaType: t.mediaType, digest: t.digest, size: t.size, annotations: cleanLabels(t.annotations) };
}

const toImage = (name: string, r: ImageRecord): Image => ({
  name,
  labels: r.labels ?? {},
  target: r.target,
  createdAt: fromRecord(r.createdAt),
  updatedAt: fromRecord(r.updatedAt),
});

export class ImageStore {
  constructor(
    private readonly db: MetadataDB,
    private readonly events: EventPublisher,
  ) {}

  async get(ns: string, name: string): Promise<Image> {
    validate.identifier('namespace', ns);
    checkName(name);
    const r = await this.db.get<ImageRecord>(keys.object(ns, 'image', name));
    if (!r) throw notFound(`image ${JSON.stringify(name)}`);
    return toImage(name, r);
  }

  async list(ns: string, filters: string[]): Promise<Image[]> {
    validate.identifier('namespace', ns);
    const filter = parseFilters(filters);
    const prefix = keys.objects(ns, 'image');
    const out: Image[] = [];
    for await (const [k, r] of this.db.scan<ImageRecord>(prefix)) {
      const img = toImage(splitId(k, prefix)[0], r);
      const a = adapt(
        { name: img.name, target: { digest: img.target.digest, mediatype: img.target.mediaType } },
        { labels: img.labels, annotations: img.target.annotations },
      );
      if (filter.match(a)) out.push(img);
    }
    return out;
  }

  async create(ns: string, img: { name: string; labels: Labels; target?: Descriptor }): Promise<Image> {
    validate.identifier('namespace', ns);
    checkName(img.name);
    const target = checkTarget(img.target);
    const labels = cleanLabels(img.labels);
    return this.db.update(async (tx) => {
      const key = keys.object(ns, 'image', img.name);
      if (await tx.get(key)) throw alreadyExists(`image ${JSON.stringify(img.name)}`);
      const now = toRecord(nowNanos());
      const rec: ImageRecord = { labels, target, createdAt: now, updatedAt: now };
      tx.put(key, rec);
      await tx.ensureNamespace(ns);
      tx.afterCommit(() =>
        this.events.publish(ns, '/images/create', 'ImageCreate', { name: img.name, labels }),
      );
      return toImage(img.name, rec);
    });
  }

  async update(
    ns: string,
    img: { name: string; labels: Labels; target?: Descriptor },
    paths: string[],
  ): Promise<Image> {
    validate.identifier('namespace', ns);
    checkName(img.name);
    return this.db.update(async (tx) => {
      const key = keys.object(ns, 'image', img.name);
      const cur = await tx.get<ImageRecord>(key);
      if (!cur) throw notFound(`image ${JSON.stringify(img.name)}`);
      const next: ImageRecord = { ...cur, updatedAt: toRecord(nowNanos()) };
      if (paths.length === 0) {
        next.target = checkTarget(img.target);
        next.labels = cleanLabels(img.labels);
      } else {
        for (const p of paths) {
          if (p === 'target') next.target = checkTarget(img.target);
          else if (p === 'annotations' || p.startsWith('annotations.')) {
            const annotations = updateLabels(next.target.annotations ?? {}, img.target?.annotations ?? {}, [
              p.replace(/^annotations/, 'labels'),
            ]);
            next.target = { ...next.target, annotations };
          } else next.labels = updateLabels(next.labels ?? {}, img.labels ?? {}, [p]);
        }
      }
      tx.put(key, next);
      tx.afterCommit(() =>
        this.events.publish(ns, '/images/update', 'ImageUpdate', { name: img.name, labels: next.labels }),
      );
      return toImage(img.name, next);
    });
  }

  async delete(ns: string, name: string): Promise<void> {
    validate.identifier('namespace', ns);
    checkName(name);
    await this.db.update(async (tx) => {
      const key = keys.object(ns, 'image', name);
      if (!(await tx.get(key))) throw notFound(`image ${JSON.stringify(name)}`);
      tx.del(key);
      tx.markDeleted();
      tx.afterCommit(() => this.events.publish(ns, '/images/delete', 'ImageDelete', { name }));
    });
  }
}
