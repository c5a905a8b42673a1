// ttrpc request metadata: repeated {key, value} on the wire, a map of lists here (ttrpc's MD).

import type { KeyValue } from '../gen/ttrpc/request.js';

/** The key containerd puts the namespace under in ttrpc metadata. */
export const NAMESPACE_KEY = 'containerd-namespace-ttrpc';

export type Metadata = Record<string, string[]>;

/** What callers may pass: one value or several per key. Keys are lower-cased, as ttrpc's MD.Set does. */
export type MetadataInit = Record<string, string | readonly string[]>;

export function toKeyValues(...sources: Array<MetadataInit | undefined>): KeyValue[] {
  const merged = new Map<string, readonly string[]>();
  for (const md of sources) {
    if (!md) continue;
    for (const [k, v] of Object.entries(md)) merged.set(k.toLowerCase(), typeof v === 'string' ? [v] : v);
  }
  const out: KeyValue[] = [];
  for (const [key, values] of merged) for (const value of values) out.push({ key, value });
  return out;
}

export function fromKeyValues(kvs: readonly KeyValue[]): Metadata {
  const md = Object.create(null) as Metadata;
  for (const { key, value } of kvs) (md[key] ??= []).push(value);
  return md;
}

/** The namespace a request carries, if any. */
export function namespaceOf(md: Metadata): string | undefined {
  return md[NAMESPACE_KEY]?.[0];
}
