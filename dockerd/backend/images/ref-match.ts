// The image list's `reference` filter, as dockerd matches it (reference.FamiliarMatch): Go's path.Match
// of the pattern against the familiar reference ("busybox:latest", "reg:5000/x@sha256:…"), or else
// against its familiar name ("busybox").
import { InvalidParameter } from '../../errdefs/index.js';

/** Go's path.Match pattern as a regular expression: `*` and `?` stop at '/', `[...]` classes, `\` escapes. */
export function globRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '\\') {
      if (i + 1 >= pattern.length) throw new InvalidParameter('syntax error in pattern');
      out += escape(pattern[++i]);
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new InvalidParameter('syntax error in pattern');
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^/' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
      i = end;
    } else out += escape(ch);
  }
  return new RegExp(`^${out}$`);
}

const escape = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** "name:tag" → "name", "name@sha256:…" → "name" (a port's colon is not a tag's). */
function familiarName(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
}

/** Whether any of `patterns` matches the familiar reference `ref`. */
export function matchesAnyReference(patterns: RegExp[], ref: string): boolean {
  return patterns.some((p) => p.test(ref) || p.test(familiarName(ref)));
}
