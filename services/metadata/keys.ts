// The LevelDB key layout. Flat, byte-sorted string keys with NUL separators (NUL cannot occur in
// any identifier, digest, ref or name we accept), one JSON value per object.
//
//   ns\0<ns>                                   namespace record (exists iff the namespace exists)
//   o\0<ns>\0<kind>\0<id>                      an object of a kind in a namespace
//   o\0<ns>\0leaseres\0<lease>\0<type>\0<id>   a resource attached to a lease
//   sys\0<name>                                daemon-wide values (e.g. sequences)

export const SEP = '\x00';

export type ObjectKind =
  'content' | 'ingest' | 'lease' | 'leaseres' | 'image' | 'container' | `snapshot/${string}`;

export const keys = {
  namespace: (ns: string): string => `ns${SEP}${ns}`,
  namespaces: (): string => `ns${SEP}`,
  object: (ns: string, kind: ObjectKind, id: string): string => `o${SEP}${ns}${SEP}${kind}${SEP}${id}`,
  objects: (ns: string, kind?: ObjectKind): string =>
    kind === undefined ? `o${SEP}${ns}${SEP}` : `o${SEP}${ns}${SEP}${kind}${SEP}`,
  leaseResource: (ns: string, lease: string, type: string, id: string): string =>
    keys.object(ns, 'leaseres', `${lease}${SEP}${type}${SEP}${id}`),
  leaseResources: (ns: string, lease: string): string => `${keys.objects(ns, 'leaseres')}${lease}${SEP}`,
  system: (name: string): string => `sys${SEP}${name}`,
};

/** The exclusive upper bound for a prefix scan: every prefix ends in SEP, so bump that byte. */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** Splits the id part after a prefix back into its NUL-separated fields. */
export function splitId(key: string, prefix: string): string[] {
  return key.slice(prefix.length).split(SEP);
}
