// The content store as its users see it, in one namespace: what the local store (bound here with
// `localContent`) and the gRPC proxy over tsctrd both offer, so one conformance suite
// (testsuite.ts) runs against each.
import type { Labels } from '../metadata/labels.js';
import type { ContentInfo, ContentStatus, ContentStore } from './store.js';

/** One open ingest: writes go at the current end (or at 0 to restart), commit checks size and digest. */
export interface ContentIngest {
  readonly ref: string;
  offset(): number;
  /** The digest of the bytes written so far. */
  digest(): string;
  write(offset: number, data: Uint8Array): Promise<void>;
  /** Checks `total` (0 = any) and `expected` ('' = any), then makes the blob visible; gives its digest. */
  commit(total: number, expected: string, labels: Labels): Promise<string>;
  /** Ends this session; the ingest stays and can be resumed. */
  close(): Promise<void>;
}

export interface Content {
  info(digest: string): Promise<ContentInfo>;
  update(digest: string, labels: Labels, fieldpaths?: string[]): Promise<ContentInfo>;
  walk(filters?: string[]): AsyncIterable<ContentInfo>;
  delete(digest: string): Promise<void>;
  /** `size` bytes from `offset` (0 = to the end). */
  readAt(digest: string, offset: number, size: number): Promise<Buffer>;
  status(ref: string): Promise<ContentStatus>;
  listStatuses(filters?: string[]): Promise<ContentStatus[]>;
  abort(ref: string): Promise<void>;
  /** Opens or resumes the ingest `ref`. */
  writer(ref: string, opts?: { total?: number; expected?: string }): Promise<ContentIngest>;
}

/** The namespaced store seen from namespace `ns`. */
export function localContent(store: ContentStore, ns: string): Content {
  return {
    info: (digest) => store.info(ns, digest),
    update: (digest, labels, fieldpaths = []) => store.update(ns, digest, labels, fieldpaths),
    walk: (filters = []) => store.list(ns, filters),
    delete: (digest) => store.delete(ns, digest),
    readAt: async (digest, offset, size) => {
      const parts: Buffer[] = [];
      for await (const [, data] of store.readRange(ns, digest, offset, size)) parts.push(data);
      return Buffer.concat(parts);
    },
    status: (ref) => store.status(ns, ref),
    listStatuses: (filters = []) => store.listStatuses(ns, filters),
    abort: (ref) => store.abort(ns, ref),
    writer: (ref, opts = {}) =>
      store.writer(ns, ref, { total: opts.total ?? 0, expected: opts.expected ?? '' }),
  };
}
