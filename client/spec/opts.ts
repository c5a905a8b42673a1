// Spec options in the manner of containerd's `oci.With…`: each is a pure function from a spec to a new spec.
// Apply them in order with `applyOpts`. Options that need the container's users take a `UserDb`
// (`readUserDb(rootfs)`), so the caller reads the root filesystem once and the options stay synchronous.
// This file holds the core, the environment, the process and its capabilities; opts-linux.ts the root,
// mounts, namespaces and resources; opts-user.ts the user and the image config; opts-edit.ts the helpers.
//
// A list left empty is removed from the spec rather than kept as `[]`, as Go's `omitempty` does, so the JSON is
// the same as containerd's.
import { DEFAULT_UNIX_ENV } from './default.js';
import { capsOf, edit, nonEmpty, processOf, setProp } from './opts-edit.js';
import type { Spec } from './types.js';

export type SpecOpt = (spec: Spec) => Spec;

/** The part of an OCI image config that decides how its process runs (the image config's `config`). */
export interface ImageExecConfig {
  User?: string;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
}

export function applyOpts(spec: Spec, ...opts: SpecOpt[]): Spec {
  return opts.reduce((s, o) => o(s), spec);
}

/** Several options as one. */
export function compose(...opts: SpecOpt[]): SpecOpt {
  return (spec) => applyOpts(spec, ...opts);
}

// ----------------------------------------------------------------------------------------------------------
// Environment

/**
 * `overrides` laid over `defaults`: a `KEY=value` replaces the entry with the same key in place or is added at
 * the end; a bare `KEY` removes it. Empty entries are dropped.
 */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const results: string[] = [...defaults];
  const index = new Map<string, number>();
  defaults.forEach((e, i) => index.set(e.split('=', 1)[0], i));
  for (const value of overrides) {
    const eq = value.indexOf('=');
    if (eq < 0) {
      const i = index.get(value);
      if (i !== undefined) results[i] = '';
      continue;
    }
    const i = index.get(value.slice(0, eq));
    if (i !== undefined) results[i] = value;
    else results.push(value);
  }
  return results.filter((e) => e !== '');
}

/** Sets or replaces environment variables by key; a bare `KEY` unsets it. */
export function withEnv(list: readonly string[]): SpecOpt {
  return edit((s) => {
    if (list.length === 0) return;
    const p = processOf(s);
    setProp(p, 'env', nonEmpty(replaceOrAppendEnv(p.env ?? [], list)));
  });
}

/** Sets PATH to containerd's default. */
export const withDefaultPathEnv: SpecOpt = edit((s) => {
  const p = processOf(s);
  setProp(p, 'env', nonEmpty(replaceOrAppendEnv(p.env ?? [], DEFAULT_UNIX_ENV)));
});

// ----------------------------------------------------------------------------------------------------------
// Process

export function withProcessArgs(...args: string[]): SpecOpt {
  return edit((s) => setProp(processOf(s), 'args', nonEmpty([...args])));
}

export function withCwd(cwd: string): SpecOpt {
  return edit((s) => {
    processOf(s).cwd = cwd;
  });
}

/** A terminal for the process; turning it on also appends `TERM=xterm` to the environment, as containerd does. */
export function withTty(on = true): SpecOpt {
  return edit((s) => {
    const p = processOf(s);
    if (!on) {
      delete p.terminal;
      return;
    }
    p.terminal = true;
    if (s.linux) p.env = [...(p.env ?? []), 'TERM=xterm'];
  });
}

export function withConsoleSize(width: number, height: number): SpecOpt {
  return edit((s) => {
    processOf(s).consoleSize = { height, width };
  });
}

export function withHostname(name: string): SpecOpt {
  return edit((s) => setProp(s, 'hostname', name === '' ? undefined : name));
}

/** Lets the process gain privileges (setuid binaries, file capabilities). */
export const withNewPrivileges: SpecOpt = edit((s) => {
  delete processOf(s).noNewPrivileges;
});

export function withRlimit(type: string, hard: number, soft: number): SpecOpt {
  return edit((s) => {
    const p = processOf(s);
    p.rlimits = [...(p.rlimits ?? []).filter((r) => r.type !== type), { type, hard, soft }];
  });
}

// ----------------------------------------------------------------------------------------------------------
// Capabilities

/** Replaces the bounding, effective and permitted sets. */
export function withCapabilities(caps: readonly string[]): SpecOpt {
  return edit((s) => {
    const c = capsOf(s);
    setProp(c, 'bounding', nonEmpty([...caps]));
    setProp(c, 'effective', nonEmpty([...caps]));
    setProp(c, 'permitted', nonEmpty([...caps]));
  });
}

export function withAddedCapabilities(caps: readonly string[]): SpecOpt {
  return edit((s) => {
    const c = capsOf(s);
    for (const key of ['bounding', 'effective', 'permitted'] as const) {
      const list = [...(c[key] ?? [])];
      for (const cap of caps) if (!list.includes(cap)) list.push(cap);
      setProp(c, key, nonEmpty(list));
    }
  });
}

export function withDroppedCapabilities(caps: readonly string[]): SpecOpt {
  return edit((s) => {
    const c = capsOf(s);
    for (const key of ['bounding', 'effective', 'permitted'] as const) {
      setProp(c, key, nonEmpty((c[key] ?? []).filter((x) => !caps.includes(x))));
    }
  });
}
