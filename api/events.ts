// The event messages tsctrd publishes, by name, with their Any type URLs (bare proto names, no
// type.googleapis.com prefix, as containerd sends them).
import { ContainerCreate, ContainerDelete, ContainerUpdate } from './gen/containerd/events/container.js';
import { ContentDelete } from './gen/containerd/events/content.js';
import { NamespaceCreate, NamespaceDelete, NamespaceUpdate } from './gen/containerd/events/namespace.js';
import { SnapshotCommit, SnapshotPrepare, SnapshotRemove } from './gen/containerd/events/snapshot.js';
import { type Codec, codec, taskEvents } from './task-events.js';
import { ImageCreate, ImageDelete, ImageUpdate } from './gen/containerd/services/images/v1/images.js';

const registry = {
  ContainerCreate: codec('containerd.events.ContainerCreate', ContainerCreate),
  ContainerUpdate: codec('containerd.events.ContainerUpdate', ContainerUpdate),
  ContainerDelete: codec('containerd.events.ContainerDelete', ContainerDelete),
  ContentDelete: codec('containerd.events.ContentDelete', ContentDelete),
  NamespaceCreate: codec('containerd.events.NamespaceCreate', NamespaceCreate),
  NamespaceUpdate: codec('containerd.events.NamespaceUpdate', NamespaceUpdate),
  NamespaceDelete: codec('containerd.events.NamespaceDelete', NamespaceDelete),
  SnapshotPrepare: codec('containerd.events.SnapshotPrepare', SnapshotPrepare),
  SnapshotCommit: codec('containerd.events.SnapshotCommit', SnapshotCommit),
  SnapshotRemove: codec('containerd.events.SnapshotRemove', SnapshotRemove),
  ...taskEvents,
  ImageCreate: codec('containerd.services.images.v1.ImageCreate', ImageCreate),
  ImageUpdate: codec('containerd.services.images.v1.ImageUpdate', ImageUpdate),
  ImageDelete: codec('containerd.services.images.v1.ImageDelete', ImageDelete),
};

type Registry = typeof registry;
export type EventName = keyof Registry;
type MessageOf<N extends EventName> = ReturnType<Registry[N]['fns']['decode']>;
export type EventFields<N extends EventName> = Partial<MessageOf<N>>;

const byUrl = new Map<string, Codec<unknown>>(
  Object.values(registry).map((c) => [c.typeUrl, c.fns as Codec<unknown>]),
);

export function encodeEvent<N extends EventName>(
  name: N,
  fields: EventFields<N>,
): { typeUrl: string; value: Uint8Array } {
  const c = registry[name] as { typeUrl: string; fns: Codec<MessageOf<N>> };
  const msg = c.fns.fromPartial(fields as never);
  return { typeUrl: c.typeUrl, value: c.fns.encode(msg).finish() };
}

/** Decodes a known event for filtering on `event.<field>`; undefined for types we do not know. */
export function decodeEvent(any: {
  typeUrl: string;
  value: Uint8Array;
}): Record<string, unknown> | undefined {
  const c = byUrl.get(any.typeUrl);
  if (!c) return undefined;
  try {
    return c.decode(any.value) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
