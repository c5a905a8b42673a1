// Namespaces: they exist once something is written into them (or they are created explicitly), carry
// labels, and can only be deleted when they hold no images, blobs, containers or snapshots.
import { alreadyExists, failedPrecondition, notFound } from '../../api/errdefs.js';
import type { MetadataDB } from '../metadata/db.js';
import { keys, splitId } from '../metadata/keys.js';
import { type Labels, cleanLabels, updateLabels } from '../metadata/labels.js';
import type { EventPublisher } from '../events/exchange.js';
import * as validate from '../validate/validate.js';

export interface Namespace {
  name: string;
  labels: Labels;
}

interface NamespaceRecord {
  labels: Labels;
}

export interface NamespaceStore {
  get(name: string): Promise<Namespace>;
  list(): Promise<Namespace[]>;
  create(ns: Namespace): Promise<Namespace>;
  update(ns: Namespace, paths: string[]): Promise<Namespace>;
  delete(name: string): Promise<void>;
}

/** Object kinds that keep a namespace alive, with the words containerd uses for them. */
const BLOCKING: Array<{ prefix: 'image' | 'content' | 'container'; word: string }> = [
  { prefix: 'image', word: 'images' },
  { prefix: 'content', word: 'blobs' },
  { prefix: 'container', word: 'containers' },
];

export class LevelNamespaceStore implements NamespaceStore {
  constructor(
    private readonly db: MetadataDB,
    private readonly events: EventPublisher,
  ) {}

  async get(name: string): Promise<Namespace> {
    validate.identifier('namespace', name);
    const rec = await this.db.get<NamespaceRecord>(keys.namespace(name));
    // containerd answers Get for a namespace that does not exist with empty labels, never NotFound.
    return { name, labels: rec?.labels ?? {} };
  }

  async list(): Promise<Namespace[]> {
    const out: Namespace[] = [];
    const prefix = keys.namespaces();
    for await (const [k, rec] of this.db.scan<NamespaceRecord>(prefix)) {
      out.push({ name: splitId(k, prefix)[0], labels: rec.labels ?? {} });
    }
    return out;
  }

  async create(ns: Namespace): Promise<Namespace> {
    validate.identifier('namespace', ns.name);
    const labels = cleanLabels(ns.labels);
    return this.db.update(async (tx) => {
      const key = keys.namespace(ns.name);
      if ((await tx.get(key)) !== undefined) throw alreadyExists(`namespace ${ns.name}`);
      tx.put(key, { labels } satisfies NamespaceRecord);
      tx.afterCommit(() =>
        this.events.publish(ns.name, '/namespaces/create', 'NamespaceCreate', { name: ns.name, labels }),
      );
      return { name: ns.name, labels };
    });
  }

  async update(ns: Namespace, paths: string[]): Promise<Namespace> {
    validate.identifier('namespace', ns.name);
    return this.db.update(async (tx) => {
      const key = keys.namespace(ns.name);
      const rec = await tx.get<NamespaceRecord>(key);
      if (rec === undefined) throw notFound(`namespace ${JSON.stringify(ns.name)}`);
      const labels = updateLabels(rec.labels ?? {}, ns.labels ?? {}, paths);
      tx.put(key, { labels } satisfies NamespaceRecord);
      tx.afterCommit(() =>
        this.events.publish(ns.name, '/namespaces/update', 'NamespaceUpdate', { name: ns.name, labels }),
      );
      return { name: ns.name, labels };
    });
  }

  async delete(name: string): Promise<void> {
    validate.identifier('namespace', name);
    await this.db.update(async (tx) => {
      const key = keys.namespace(name);
      if ((await tx.get(key)) === undefined) throw notFound(`namespace ${JSON.stringify(name)}`);
      const left: string[] = [];
      for (const b of BLOCKING) if (await tx.has(keys.objects(name, b.prefix))) left.push(b.word);
      for (const snapshotter of await this.snapshottersWithSnapshots(tx, name)) {
        left.push(`snapshots on ${JSON.stringify(snapshotter)} snapshotter`);
      }
      if (left.length > 0) {
        throw failedPrecondition(
          `namespace ${JSON.stringify(name)} must be empty, but it still has ${left.join(', ')}`,
        );
      }
      // Leases and unfinished ingests go with the namespace.
      for await (const [k] of tx.scan(keys.objects(name))) tx.del(k);
      tx.del(key);
      tx.markDeleted();
      tx.afterCommit(() => this.events.publish(name, '/namespaces/delete', 'NamespaceDelete', { name }));
    });
  }

  private async snapshottersWithSnapshots(
    tx: { scan<T>(p: string): AsyncIterable<[string, T]> },
    ns: string,
  ) {
    const found = new Set<string>();
    const prefix = keys.objects(ns);
    for await (const [k] of tx.scan(prefix)) {
      const kind = splitId(k, prefix)[0];
      if (kind.startsWith('snapshot/')) found.add(kind.slice('snapshot/'.length));
    }
    return [...found];
  }
}
