// How a filter reads an object: an Adaptor maps a field path to the field's value. These builders give
// the same answers as containerd v1.6.20's adaptors (metadata/adaptors.go, content/adaptor.go, ...).

/**
 * Looks up one field path on an object. Returns the value, or `undefined` when the field is absent.
 * An absent field compares as the empty string for `!=` and `~=` (so `name!=x` matches it), while
 * `==` and presence-only selectors need the field to be present.
 */
export type Adaptor = (fieldpath: readonly string[]) => string | undefined;

/** A map-valued field such as labels or annotations. */
export type StringMap = Readonly<Record<string, string>>;

/**
 * Looks up `rest` in a map field: the remaining path segments are joined with "." to form the key,
 * so `labels.a.b` reads key `a.b` (and `labels."a.b"` reads the same key). An empty or missing map has
 * no keys; `labels` alone reads the key "".
 */
export function labelsField(labels: StringMap | undefined, rest: readonly string[]): string | undefined {
  if (!labels) return undefined;
  const key = rest.join('.');
  return Object.hasOwn(labels, key) ? labels[key] : undefined;
}

/** A string field that counts as present even when it is empty (see `adapt`). */
export class PresentField {
  constructor(readonly value: string) {}
}

/** Marks a string field as always present, e.g. a snapshot's `parent` or a content status's `ref`. */
export function present(value: string): PresentField {
  return new PresentField(value);
}

/** The plain fields of an object, as handed to `adapt`. */
export interface FieldTree {
  readonly [name: string]: FieldValue;
}

/**
 * - `string`: present when non-empty (containerd's usual `len(x) > 0`);
 * - `undefined`: absent;
 * - `present(s)`: present even when empty;
 * - a nested `FieldTree`: a message field, read with the next path segment (absent if there is none);
 * - an `Adaptor`: delegates the rest of the path (e.g. an event envelope's `event.<field>`).
 * Path segments after a string field are ignored, as containerd's adaptors do (`name.x` reads `name`).
 */
export type FieldValue = string | undefined | PresentField | FieldTree | Adaptor;

function lookup(tree: FieldTree, path: readonly string[]): string | undefined {
  if (path.length === 0) return undefined;
  const [head, ...rest] = path;
  if (!Object.hasOwn(tree, head)) return undefined;
  const v = tree[head];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (v instanceof PresentField) return v.value;
  if (typeof v === 'function') return v(rest);
  return lookup(v, rest);
}

/**
 * Builds an adaptor from an object's plain fields and its map fields. A map field reads its key with
 * `labelsField` (the rest of the path joined by "."). Example, for an image:
 *
 *   adapt({ name, target: { digest, mediatype } }, { labels, annotations })
 */
export function adapt(
  fields: FieldTree,
  maps: Readonly<Record<string, StringMap | undefined>> = {},
): Adaptor {
  return (path) => {
    if (path.length === 0) return undefined;
    if (Object.hasOwn(maps, path[0])) return labelsField(maps[path[0]], path.slice(1));
    return lookup(fields, path);
  };
}
