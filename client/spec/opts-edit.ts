// What every spec option is built from (internal to client/spec): `edit` runs a mutation on a copy, and
// the accessors create a missing section on the way.
import type { SpecOpt } from './opts.js';
import type { Linux, LinuxCapabilities, LinuxResources, Process, Spec } from './types.js';

// Every option edits a copy.
export function edit(fn: (s: Spec) => void): SpecOpt {
  return (spec) => {
    const s = structuredClone(spec);
    fn(s);
    return s;
  };
}

export function nonEmpty<T>(list: T[] | undefined): T[] | undefined {
  return list && list.length > 0 ? list : undefined;
}

export function processOf(s: Spec): Process {
  s.process ??= { user: { uid: 0, gid: 0 }, cwd: '' };
  return s.process;
}

export function linuxOf(s: Spec): Linux {
  s.linux ??= {};
  return s.linux;
}

export function resourcesOf(s: Spec): LinuxResources {
  const linux = linuxOf(s);
  linux.resources ??= {};
  return linux.resources;
}

export function capsOf(s: Spec): LinuxCapabilities {
  const p = processOf(s);
  p.capabilities ??= {};
  return p.capabilities;
}

export function setProp<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) delete obj[key];
  else obj[key] = value;
}

/** A path in its shortest form, as Go's path.Clean gives it. */
export function cleanPath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(c);
  }
  const joined = out.join('/');
  return abs ? `/${joined}` : joined || '.';
}
