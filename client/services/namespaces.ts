// Typed calls on tsctrd's Namespaces service.
import type { Namespace } from '../../api/gen/containerd/services/namespaces/v1/namespace.js';
import type { Connection } from '../connection.js';

export type { Namespace };

export async function listNamespaces(c: Connection, filter = ''): Promise<Namespace[]> {
  return (await c.call(c.namespaces, c.namespaces.list, { filter })).namespaces;
}

export async function createNamespace(
  c: Connection,
  name: string,
  labels: Record<string, string> = {},
): Promise<Namespace> {
  return (await c.call(c.namespaces, c.namespaces.create, { namespace: { name, labels } })).namespace!;
}

/** Writes the fields named in `paths` (e.g. `labels.x`; none: the whole record). */
export async function updateNamespace(
  c: Connection,
  namespace: Namespace,
  paths: string[] = [],
): Promise<Namespace> {
  return (await c.call(c.namespaces, c.namespaces.update, { namespace, updateMask: paths })).namespace!;
}

/** Deletes an empty namespace. */
export async function deleteNamespace(c: Connection, name: string): Promise<void> {
  await c.call(c.namespaces, c.namespaces.delete, { name });
}
