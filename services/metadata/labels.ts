// Label updates as containerd applies them under a field mask: `labels.<key>` sets (or, with an empty
// value, removes) one key; `labels` alone replaces the whole map. Any other path is refused.
import { invalidArgument } from '../../api/errdefs.js';
import * as validate from '../validate/validate.js';

export type Labels = Record<string, string>;

/** Drops empty values: an empty label value means "no such label". */
export function cleanLabels(l: Labels | undefined): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(l ?? {})) if (v !== '') out[k] = v;
  return validate.labels(out);
}

/**
 * Applies a labels update. `paths` is the update mask; with no paths the labels are replaced.
 * `otherPaths` lists the non-label fields the caller handles itself (they are ignored here).
 */
export function updateLabels(
  current: Labels,
  incoming: Labels,
  paths: string[],
  otherPaths: string[] = [],
): Labels {
  if (paths.length === 0) return cleanLabels(incoming);
  let next: Labels = { ...current };
  for (const p of paths) {
    if (p === 'labels') {
      next = cleanLabels(incoming);
    } else if (p.startsWith('labels.')) {
      const key = p.slice('labels.'.length);
      const value = incoming[key] ?? '';
      if (value === '') delete next[key];
      else {
        validate.label(key, value);
        next[key] = value;
      }
    } else if (!otherPaths.includes(p) && !otherPaths.some((o) => p.startsWith(`${o}.`))) {
      throw invalidArgument(`cannot update ${JSON.stringify(p)} field`);
    }
  }
  return next;
}
