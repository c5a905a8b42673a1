// The task events, what a shim publishes: a registry of their own, so the shim's bundle carries no
// other event types (every container pays for its shim's code and objects). api/events.ts adds the
// daemon's events around them.
import type { BinaryWriter, BinaryReader } from '@bufbuild/protobuf/wire';
import {
  TaskCheckpointed,
  TaskCreate,
  TaskDelete,
  TaskExecAdded,
  TaskExecStarted,
  TaskExit,
  TaskOOM,
  TaskPaused,
  TaskResumed,
  TaskStart,
} from './gen/containerd/events/task.js';

export interface Codec<T> {
  encode(m: T, w?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
  fromPartial(o: never): T;
}

export const codec = <T>(typeUrl: string, fns: Codec<T>) => ({ typeUrl, fns });

export const taskEvents = {
  TaskCreate: codec('containerd.events.TaskCreate', TaskCreate),
  TaskStart: codec('containerd.events.TaskStart', TaskStart),
  TaskDelete: codec('containerd.events.TaskDelete', TaskDelete),
  TaskExit: codec('containerd.events.TaskExit', TaskExit),
  TaskOOM: codec('containerd.events.TaskOOM', TaskOOM),
  TaskExecAdded: codec('containerd.events.TaskExecAdded', TaskExecAdded),
  TaskExecStarted: codec('containerd.events.TaskExecStarted', TaskExecStarted),
  TaskPaused: codec('containerd.events.TaskPaused', TaskPaused),
  TaskResumed: codec('containerd.events.TaskResumed', TaskResumed),
  TaskCheckpointed: codec('containerd.events.TaskCheckpointed', TaskCheckpointed),
};

type TaskRegistry = typeof taskEvents;
export type TaskEventName = keyof TaskRegistry;
type TaskMessageOf<N extends TaskEventName> = ReturnType<TaskRegistry[N]['fns']['decode']>;
export type TaskEventFields<N extends TaskEventName> = Partial<TaskMessageOf<N>>;

export function encodeTaskEvent<N extends TaskEventName>(
  name: N,
  fields: TaskEventFields<N>,
): { typeUrl: string; value: Uint8Array } {
  const c = taskEvents[name] as { typeUrl: string; fns: Codec<TaskMessageOf<N>> };
  const msg = c.fns.fromPartial(fields as never);
  return { typeUrl: c.typeUrl, value: c.fns.encode(msg).finish() };
}
