// Typed calls on tsctrd's Containers service: a handle on one container record, and the list.
import type { Container } from '../../api/gen/containerd/services/containers/v1/containers.js';
import type { Connection } from '../connection.js';

export type { Container };

/** The type URL of an OCI runtime spec in a container record. */
export const SPEC_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Spec';

/** What a new container record names; the rest has defaults. */
export interface NewContainer {
  image?: string;
  labels?: Record<string, string>;
  /** The OCI runtime spec (stored as JSON under SPEC_TYPE_URL). */
  spec: object;
  /** Default `io.containerd.runc.v2`. */
  runtime?: string;
  snapshotter?: string;
  snapshotKey?: string;
}

export class ContainerHandle {
  constructor(
    private readonly c: Connection,
    readonly id: string,
  ) {}

  async get(): Promise<Container> {
    const c = this.c;
    return (await c.call(c.containers, c.containers.get, { id: this.id })).container!;
  }

  /** The record's OCI runtime spec, parsed. */
  async spec<S = object>(): Promise<S> {
    return specOf<S>(await this.get());
  }

  async create(o: NewContainer): Promise<Container> {
    const c = this.c;
    const { container } = await c.call(c.containers, c.containers.create, {
      container: {
        id: this.id,
        labels: o.labels ?? {},
        image: o.image ?? '',
        runtime: { name: o.runtime ?? 'io.containerd.runc.v2', options: undefined },
        spec: { typeUrl: SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(o.spec)) },
        snapshotter: o.snapshotter ?? '',
        snapshotKey: o.snapshotKey ?? '',
        createdAt: undefined,
        updatedAt: undefined,
        extensions: {},
      },
    });
    return container!;
  }

  /** Writes the fields named in `paths` (e.g. `spec`, `labels.x`; none: the whole record). */
  async update(container: Container, paths: string[] = []): Promise<Container> {
    const c = this.c;
    const r = await c.call(c.containers, c.containers.update, {
      container: { ...container, id: this.id },
      updateMask: paths,
    });
    return r.container!;
  }

  /** Replaces the record's OCI runtime spec. */
  async setSpec(container: Container, spec: object): Promise<Container> {
    return this.update(
      { ...container, spec: { typeUrl: SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(spec)) } },
      ['spec'],
    );
  }

  async delete(): Promise<void> {
    const c = this.c;
    await c.call(c.containers, c.containers.delete, { id: this.id });
  }
}

/** A container record's OCI runtime spec, parsed. */
export function specOf<S = object>(container: Container): S {
  return JSON.parse(Buffer.from(container.spec!.value).toString()) as S;
}

/** The namespace's container records (containerd's filter syntax; none: all). */
export async function listContainers(c: Connection, filters: string[] = []): Promise<Container[]> {
  return (await c.call(c.containers, c.containers.list, { filters })).containers;
}
