// Container paths as the archive endpoints (docker cp) take them, with moby's cleaning rules.
import { posix } from 'node:path';
import { invalid } from '../../pkg/archive/errors.js';

/** A container path as the archive endpoints take it (moby cleans it lexically, then keeps a
 * trailing "/" or "/." as a directory assertion that also makes the last symlink be followed). */
export interface ContainerPath {
  /** Cleaned components from the root (no '', '.' or '..'). */
  comps: string[];
  /** The path ends in "/" or "/." (or is "."): follow a final symlink, require a directory. */
  assertsDir: boolean;
  /** Go's filepath.Base of the cleaned path with its trailing "/." preserved: the archive's name. */
  base: string;
}

export function parseContainerPath(p: string): ContainerPath {
  if (p === '') throw invalid('bad parameter: path cannot be empty');
  if (p.includes('\0')) throw invalid('path contains a NUL byte');
  const comps = posix
    .normalize(`/${p}`)
    .split('/')
    .filter((c) => c !== '');
  const dotted = goBase(p) === '.';
  const assertsDir = dotted || p.endsWith('/');
  const base = dotted ? '.' : comps.length > 0 ? comps[comps.length - 1] : '/';
  return { comps, assertsDir, base };
}

/** Go's filepath.Base for slash paths. */
export function goBase(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
