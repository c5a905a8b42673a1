// `--ipc container:X` and `--pid container:X`: at start, the container joins the IPC or PID namespace
// of X, which must be running (dockerd's texts otherwise). A lifecycle hook's sandbox step, so the
// stored spec points at X's current process.
import type { Spec } from '../../../client/spec/index.js';
import { Conflict } from '../../errdefs/index.js';
import type { Engine } from '../engine.js';
import type { LifecycleHooks, SandboxContext } from '../lifecycle.js';

const KINDS = [
  { field: 'IpcMode', ns: 'ipc', label: 'IPC' },
  { field: 'PidMode', ns: 'pid', label: 'PID' },
] as const;

/** The container a `container:<name|id>` mode names, or undefined for any other mode. */
export function sharedWith(mode: string | undefined): string | undefined {
  return mode?.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

export function sharedNamespacesHook(e: Engine): LifecycleHooks {
  return {
    name: 'shared-namespaces',
    sandbox({ rec, editSpec }: SandboxContext): void {
      for (const k of KINDS) {
        const ref = sharedWith(rec.HostConfig[k.field]);
        if (!ref) continue;
        const other = e.store.get(ref);
        if (!other.State.Running || other.State.Pid <= 0)
          throw new Conflict(`cannot join ${k.label} of a non running container: ${other.Id}`);
        const nsPath = `/proc/${other.State.Pid}/ns/${k.ns}`;
        editSpec((spec: Spec) => ({
          ...spec,
          linux: {
            ...spec.linux,
            namespaces: (spec.linux?.namespaces ?? []).map((n) =>
              n.type === k.ns ? { type: n.type, path: nsPath } : n,
            ),
          },
        }));
      }
    },
  };
}
