// Containers: metadata records (image, runtime, OCI spec as an opaque Any, snapshot) per namespace.
// A container whose task still exists cannot be deleted; the tasks service tells us through `hasTask`.
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../../api/errdefs.js';
import type { EventPublisher } from '../events/exchange.js';
import { adapt, parseFilters } from '../filters/index.js';
import type { MetadataDB } from '../metadata/db.js';
import { keys, splitId } from '../metadata/keys.js';
import { type Labels, cleanLabels, updateLabels } from '../metadata/labels.js';
import { type Nanos, fromRecord, nowNanos, toRecord } from '../metadata/time.js';
import * as validate from '../validate/validate.js';

export interface AnyValue {
  typeUrl: string;
  value: Buffer;
}

export interface Container {
  id: string;
  labels: Labels;
  image: string;
  runtime: { name: string; options?: AnyValue };
  spec?: AnyValue;
  snapshotter: string;
  snapshotKey: string;
  extensions: Record<string, AnyValue>;
  createdAt: Nanos;
  updatedAt: Nanos;
}

type StoredAny = { typeUrl: string; value: string };

interface ContainerRecord {
  labels: Labels;
  image: string;
  runtime: { name: string; options?: StoredAny };
  spec?: StoredAny;
  snapshotter: string;
  snapshotKey: string;
  extensions: Record<string, StoredAny>;
  createdAt: string;
  updatedAt: string;
}

const storeAny = (a: AnyValue | undefined): StoredAny | undefined =>
  a ? { typeUrl: a.typeUrl, value: Buffer.from(a.value).toString('base64') } : undefined;
const loadAny = (a: StoredAny | undefined): AnyValue | undefined =>
  a ? { typeUrl: a.typeUrl, value: Buffer.from(a.value, 'base64') } : undefined;

function toContainer(id: string, r: ContainerRecord): Container {
  const ext: Record<string, AnyValue> = {};
  for (const [k, v] of Object.entries(r.extensions ?? {})) ext[k] = loadAny(v)!;
  return {
    id,
    labels: r.labels ?? {},
    image: r.image,
    runtime: { name: r.runtime.name, ...(r.runtime.options ? { options: loadAny(r.runtime.options) } : {}) },
    ...(r.spec ? { spec: loadAny(r.spec) } : {}),
    snapshotter: r.snapshotter,
    snapshotKey: r.snapshotKey,
    extensions: ext,
    createdAt: fromRecord(r.createdAt),
    updatedAt: fromRecord(r.updatedAt),
  };
}

export type ContainerInput = Omit<Container, 'createdAt' | 'updatedAt'>;

export interface TaskPresence {
  hasTask(ns: string, id: string): Promise<boolean>;
}

export class ContainerStore {
  tasks: TaskPresence = { hasTask: async () => false };

  constructor(
    private readonly db: MetadataDB,
    private readonly events: EventPublisher,
  ) {}

  private key(ns: string, id: string): string {
    return keys.object(ns, 'container', id);
  }

  async get(ns: string, id: string): Promise<Container> {
    validate.identifier('namespace', ns);
    validate.identifier('container', id);
    const r = await this.db.get<ContainerRecord>(this.key(ns, id));
    if (!r) throw notFound(`container "${id}"`);
    return toContainer(id, r);
  }

  async list(ns: string, filters: string[]): Promise<Container[]> {
    validate.identifier('namespace', ns);
    const filter = parseFilters(filters);
    const prefix = keys.objects(ns, 'container');
    const out: Container[] = [];
    for await (const [k, r] of this.db.scan<ContainerRecord>(prefix)) {
      const c = toContainer(splitId(k, prefix)[0], r);
      if (
        filter.match(
          adapt({ id: c.id, image: c.image, runtime: { name: c.runtime.name } }, { labels: c.labels }),
        )
      )
        out.push(c);
    }
    return out;
  }

  private validateInput(c: ContainerInput): void {
    validate.identifier('container', c.id);
    if (!c.runtime?.name) throw invalidArgument(`container.Runtime.Name must be set: container "${c.id}"`);
    if (!c.spec) throw invalidArgument(`container.Spec must be set: container "${c.id}"`);
    if (c.snapshotKey && !c.snapshotter)
      throw invalidArgument(
        `container.Snapshotter must be set if container.SnapshotKey is set: container "${c.id}"`,
      );
  }

  async create(ns: string, c: ContainerInput): Promise<Container> {
    validate.identifier('namespace', ns);
    this.validateInput(c);
    const labels = cleanLabels(c.labels);
    return this.db.update(async (tx) => {
      if (await tx.get(this.key(ns, c.id))) throw alreadyExists(`container "${c.id}"`);
      const now = toRecord(nowNanos());
      const ext: Record<string, StoredAny> = {};
      for (const [k, v] of Object.entries(c.extensions ?? {})) ext[k] = storeAny(v)!;
      const rec: ContainerRecord = {
        labels,
        image: c.image,
        runtime: {
          name: c.runtime.name,
          ...(c.runtime.options ? { options: storeAny(c.runtime.options) } : {}),
        },
        ...(c.spec ? { spec: storeAny(c.spec) } : {}),
        snapshotter: c.snapshotter,
        snapshotKey: c.snapshotKey,
        extensions: ext,
        createdAt: now,
        updatedAt: now,
      };
      tx.put(this.key(ns, c.id), rec);
      await tx.ensureNamespace(ns);
      tx.afterCommit(() =>
        this.events.publish(ns, '/containers/create', 'ContainerCreate', {
          id: c.id,
          image: c.image,
          runtime: { name: c.runtime.name, ...(c.runtime.options ? { options: c.runtime.options } : {}) },
        }),
      );
      return toContainer(c.id, rec);
    });
  }

  async update(ns: string, c: ContainerInput, paths: string[]): Promise<Container> {
    validate.identifier('namespace', ns);
    validate.identifier('container', c.id);
    return this.db.update(async (tx) => {
      const cur = await tx.get<ContainerRecord>(this.key(ns, c.id));
      if (!cur) throw notFound(`container "${c.id}"`);
      const next: ContainerRecord = { ...cur, updatedAt: toRecord(nowNanos()) };
      const all = paths.length === 0;
      const fields = all ? ['labels', 'image', 'spec', 'snapshotkey', 'extensions'] : paths;
      for (const p of fields) {
        if (p === 'labels' || p.startsWith('labels.'))
          next.labels = updateLabels(cur.labels ?? {}, c.labels ?? {}, [p]);
        else if (p === 'image') next.image = c.image;
        else if (p === 'spec') {
          if (!c.spec) throw invalidArgument(`container.Spec must be set: container "${c.id}"`);
          next.spec = storeAny(c.spec);
        } else if (p === 'snapshotkey') next.snapshotKey = c.snapshotKey;
        else if (p === 'extensions' || p.startsWith('extensions.')) {
          const ext = { ...(cur.extensions ?? {}) };
          for (const [k, v] of Object.entries(c.extensions ?? {}))
            if (p === 'extensions' || p === `extensions.${k}`) ext[k] = storeAny(v)!;
          next.extensions = ext;
        } else if (p === 'runtime' || p === 'snapshotter') {
          throw invalidArgument(
            `container.${p === 'runtime' ? 'Runtime' : 'Snapshotter'} field is immutable: container "${c.id}"`,
          );
        } else throw invalidArgument(`cannot update ${JSON.stringify(p)} field on container "${c.id}"`);
      }
      tx.put(this.key(ns, c.id), next);
      tx.afterCommit(() =>
        this.events.publish(ns, '/containers/update', 'ContainerUpdate', {
          id: c.id,
          image: next.image,
          labels: next.labels,
          snapshotKey: next.snapshotKey,
        }),
      );
      return toContainer(c.id, next);
    });
  }

  async delete(ns: string, id: string): Promise<void> {
    validate.identifier('namespace', ns);
    validate.identifier('container', id);
    if (await this.tasks.hasTask(ns, id)) throw failedPrecondition(`cannot delete running task ${id}`);
    await this.db.update(async (tx) => {
      if (!(await tx.get(this.key(ns, id)))) throw notFound(`container "${id}"`);
      tx.del(this.key(ns, id));
      tx.markDeleted();
      tx.afterCommit(() => this.events.publish(ns, '/containers/delete', 'ContainerDelete', { id }));
    });
  }
}
