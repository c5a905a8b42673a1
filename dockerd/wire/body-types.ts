// Checks of a request body's field types, with the wording Go's JSON decoder gives dockerd
// ("json: cannot unmarshal number into Go struct field …"), so a body of the wrong shape is a 400
// and never half-applied.
import { InvalidParameter } from '../errdefs/index.js';

type Kind = 'string' | 'bool' | 'number' | 'object' | 'string array' | 'string map';

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function matches(v: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'object':
      return typeof v === 'object' && !Array.isArray(v);
    case 'string array':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'string map':
      return (
        typeof v === 'object' &&
        !Array.isArray(v) &&
        Object.values(v as object).every((x) => typeof x === 'string')
      );
  }
}

/** The body must be a JSON object (not an array, a string or null). */
export function requireObject(body: unknown, struct: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new InvalidParameter(`json: cannot unmarshal ${jsonType(body)} into Go value of type ${struct}`);
  return body as Record<string, unknown>;
}

/** Each named field, when present and not null, must have its kind. */
export function checkFields(
  body: Record<string, unknown>,
  struct: string,
  fields: Record<string, Kind>,
): void {
  for (const [name, kind] of Object.entries(fields)) {
    const v = body[name];
    if (v === undefined || v === null) continue;
    if (!matches(v, kind))
      throw new InvalidParameter(
        `json: cannot unmarshal ${jsonType(v)} into Go struct field ${struct}.${name} of type ${kind}`,
      );
  }
}
