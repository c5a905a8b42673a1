// Spec options for the container's Linux side: root filesystem, mounts, namespaces, cgroup, annotations,
// resources, devices, and privileged mode.
import { compose, withCapabilities } from './opts.js';
import type { SpecOpt } from './opts.js';
import { cleanPath, edit, linuxOf, processOf, resourcesOf, setProp, nonEmpty } from './opts-edit.js';
import type { LinuxDevice, LinuxIdMapping, LinuxNamespace, LinuxNamespaceType, Mount } from './types.js';

// ----------------------------------------------------------------------------------------------------------
// Root, mounts, namespaces

export const withRootfsReadonly: SpecOpt = edit((s) => {
  s.root = { ...(s.root ?? { path: '' }), readonly: true };
});

/** Appends mounts after the existing ones. */
export function withMounts(extra: readonly Mount[]): SpecOpt {
  return edit((s) => setProp(s, 'mounts', nonEmpty([...(s.mounts ?? []), ...structuredClone(extra)])));
}

/** Removes the mounts at these destinations. */
export function withoutMounts(...destinations: string[]): SpecOpt {
  return edit((s) => {
    const keep = (s.mounts ?? []).filter((m) => !destinations.includes(cleanPath(m.destination)));
    setProp(s, 'mounts', nonEmpty(keep));
  });
}

function bindHostFile(file: string): SpecOpt {
  return withMounts([{ destination: file, type: 'bind', source: file, options: ['rbind', 'ro'] }]);
}

/** The host's /etc/hosts, read-only (with a host network). */
export const withHostHostsFile: SpecOpt = bindHostFile('/etc/hosts');
/** The host's /etc/resolv.conf, read-only (with a host network). */
export const withHostResolvconf: SpecOpt = bindHostFile('/etc/resolv.conf');

/** Runs in the host's namespace of this kind (removes the new namespace from the spec). */
export function withHostNamespace(type: LinuxNamespaceType): SpecOpt {
  return edit((s) => {
    const linux = linuxOf(s);
    const list = [...(linux.namespaces ?? [])];
    const i = list.findIndex((n) => n.type === type);
    if (i >= 0) list.splice(i, 1);
    setProp(linux, 'namespaces', nonEmpty(list));
  });
}

/** Adds a namespace, or replaces the one of the same type (give `path` to join an existing one). */
export function withLinuxNamespace(ns: LinuxNamespace): SpecOpt {
  return edit((s) => {
    const linux = linuxOf(s);
    const list = [...(linux.namespaces ?? [])];
    const i = list.findIndex((n) => n.type === ns.type);
    if (i >= 0) list[i] = { ...ns };
    else list.push({ ...ns });
    linux.namespaces = list;
  });
}

/** A user namespace with these mappings (added to any already there). */
export function withUserNamespace(
  uidMap: readonly LinuxIdMapping[],
  gidMap: readonly LinuxIdMapping[],
): SpecOpt {
  return edit((s) => {
    const linux = linuxOf(s);
    if (!(linux.namespaces ?? []).some((n) => n.type === 'user')) {
      linux.namespaces = [...(linux.namespaces ?? []), { type: 'user' }];
    }
    setProp(linux, 'uidMappings', nonEmpty([...(linux.uidMappings ?? []), ...uidMap.map((m) => ({ ...m }))]));
    setProp(linux, 'gidMappings', nonEmpty([...(linux.gidMappings ?? []), ...gidMap.map((m) => ({ ...m }))]));
  });
}

export function withCgroup(path: string): SpecOpt {
  return edit((s) => setProp(linuxOf(s), 'cgroupsPath', path === '' ? undefined : path));
}

export function withAnnotations(annotations: Readonly<Record<string, string>>): SpecOpt {
  return edit((s) => {
    const merged = { ...(s.annotations ?? {}), ...annotations };
    setProp(s, 'annotations', Object.keys(merged).length > 0 ? merged : undefined);
  });
}

// ----------------------------------------------------------------------------------------------------------
// Resources and devices

/** Memory limit in bytes. */
export function withMemoryLimit(bytes: number): SpecOpt {
  return edit((s) => {
    if (!s.linux) return;
    const r = resourcesOf(s);
    r.memory = { ...r.memory, limit: bytes };
  });
}

/** Memory plus swap limit in bytes (-1: unlimited swap). */
export function withMemorySwap(bytes: number): SpecOpt {
  return edit((s) => {
    const r = resourcesOf(s);
    r.memory = { ...r.memory, swap: bytes };
  });
}

export function withPidsLimit(limit: number): SpecOpt {
  return edit((s) => {
    resourcesOf(s).pids = { limit };
  });
}

export function withCpuShares(shares: number): SpecOpt {
  return edit((s) => {
    const r = resourcesOf(s);
    r.cpu = { ...r.cpu, shares };
  });
}

/** CFS quota and period, in microseconds. */
export function withCpuCfs(quota: number, period: number): SpecOpt {
  return edit((s) => {
    const r = resourcesOf(s);
    r.cpu = { ...r.cpu, quota, period };
  });
}

/** At most `n` CPUs' worth of time (may be fractional): a quota of n × 100 ms per 100 ms period. */
export function withCpus(n: number): SpecOpt {
  return withCpuCfs(Math.trunc(n * 100_000), 100_000);
}

/** Replaces the device rules with one allowing every device. */
export const withAllDevicesAllowed: SpecOpt = edit((s) => {
  resourcesOf(s).devices = [{ allow: true, access: 'rwm' }];
});

/** Creates these device nodes in the container (cgroup rules are separate). */
export function withLinuxDevices(devices: readonly LinuxDevice[]): SpecOpt {
  return edit((s) => {
    const linux = linuxOf(s);
    setProp(linux, 'devices', nonEmpty([...(linux.devices ?? []), ...devices.map((d) => ({ ...d }))]));
  });
}

/**
 * Everything a privileged container changes: these capabilities (containerd gives the caller's effective set,
 * see `currentCapabilities`), nothing masked or read-only in /proc and /sys, sysfs and cgroupfs writable, and
 * no SELinux label, AppArmor profile or seccomp filter. Device access is separate (`withAllDevicesAllowed`,
 * `withLinuxDevices(await hostDevices())`).
 */
export function withPrivileged(caps: readonly string[]): SpecOpt {
  return compose(
    withCapabilities(caps),
    edit((s) => {
      const linux = linuxOf(s);
      delete linux.maskedPaths;
      delete linux.readonlyPaths;
      delete linux.seccomp;
      for (const m of s.mounts ?? []) {
        if (m.type === 'sysfs' || m.type === 'cgroup')
          m.options = m.options?.map((o) => (o === 'ro' ? 'rw' : o));
      }
      const p = processOf(s);
      delete p.selinuxLabel;
      delete p.apparmorProfile;
    }),
  );
}
