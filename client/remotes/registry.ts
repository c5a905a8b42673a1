// The registry remote in one object: resolve, fetch and push against any registry, sharing one transport
// (endpoints, retries, deadlines) and one authorizer (token cache). Credentials default to Docker's config.
import type { Readable } from 'node:stream';
import { dockerConfigCredentials } from './credentials.js';
import { type FetchOptions, fetchBuffer, fetchStream } from './fetcher.js';
import { expectStatus, Transport, type TransportOptions } from './transport.js';
import { discard } from './http.js';
import type { Descriptor } from './media.js';
import {
  type PushBlobOptions,
  type PushOptions,
  type PushResult,
  blobExists,
  mountBlob,
  pushBlob,
  pushManifest,
  tagExists,
} from './pusher.js';
import { type ImageReference, parseReference } from './reference.js';
import { type Resolved, resolve } from './resolver.js';

export type RegistryOptions = TransportOptions;

type Signal = { signal?: AbortSignal };
type MountResult = { mounted: true } | { mounted: false; location: string };

/** A Registry's operations bound to one reference. */
export interface RemoteRepository {
  ref: ImageReference;
  resolve(opts?: Signal): Promise<Resolved>;
  fetch(desc: Descriptor, opts?: FetchOptions): Promise<Readable>;
  fetchBuffer(desc: Descriptor, opts?: Signal & { limit?: number }): Promise<Buffer>;
  blobExists(desc: Pick<Descriptor, 'digest'>, opts?: PushOptions): Promise<boolean>;
  mountBlob(desc: Pick<Descriptor, 'digest'>, from: string, opts?: PushOptions): Promise<MountResult>;
  pushBlob(desc: Descriptor, body: Buffer | (() => Readable), opts?: PushBlobOptions): Promise<PushResult>;
  pushManifest(desc: Descriptor, data: Buffer, opts?: PushOptions & { tag?: string }): Promise<void>;
  tagExists(tag?: string, opts?: PushOptions & { digest?: string }): Promise<boolean>;
}

type Ref = string | ImageReference;
const asRef = (r: Ref): ImageReference => (typeof r === 'string' ? parseReference(r) : r);

export class Registry {
  readonly transport: Transport;

  constructor(opts: RegistryOptions = {}) {
    this.transport = new Transport({ ...opts, credentials: opts.credentials ?? dockerConfigCredentials() });
  }

  /** The root descriptor (manifest or index) a reference names. */
  async resolve(ref: Ref, opts: { signal?: AbortSignal } = {}): Promise<Resolved> {
    return resolve(this.transport, asRef(ref), opts);
  }

  /** Stream a manifest or blob of the reference's repository, from `opts.offset`. */
  async fetch(ref: Ref, desc: Descriptor, opts: FetchOptions = {}): Promise<Readable> {
    return fetchStream(this.transport, asRef(ref), desc, opts);
  }

  /** A small object (manifest, index, config) whole and verified. */
  async fetchBuffer(
    ref: Ref,
    desc: Descriptor,
    opts: { signal?: AbortSignal; limit?: number } = {},
  ): Promise<Buffer> {
    return fetchBuffer(this.transport, asRef(ref), desc, opts);
  }

  async blobExists(ref: Ref, desc: Pick<Descriptor, 'digest'>, opts: PushOptions = {}): Promise<boolean> {
    return blobExists(this.transport, asRef(ref), desc, opts);
  }

  async mountBlob(
    ref: Ref,
    desc: Pick<Descriptor, 'digest'>,
    from: string,
    opts: PushOptions = {},
  ): Promise<MountResult> {
    return mountBlob(this.transport, asRef(ref), desc, from, opts);
  }

  async pushBlob(
    ref: Ref,
    desc: Descriptor,
    body: Buffer | (() => Readable),
    opts: PushBlobOptions = {},
  ): Promise<PushResult> {
    return pushBlob(this.transport, asRef(ref), desc, body, opts);
  }

  async pushManifest(
    ref: Ref,
    desc: Descriptor,
    data: Buffer,
    opts: PushOptions & { tag?: string } = {},
  ): Promise<void> {
    return pushManifest(this.transport, asRef(ref), desc, data, opts);
  }

  /** Whether `tag` (default: the reference's tag) exists, and with `opts.digest`, points at that digest. */
  async tagExists(ref: Ref, tag?: string, opts: PushOptions & { digest?: string } = {}): Promise<boolean> {
    const r = asRef(ref);
    return tagExists(this.transport, r, tag ?? r.tag ?? 'latest', opts);
  }

  /** The same operations bound to one reference (like containerd's per-reference Fetcher and Pusher). */
  repository(ref: Ref): RemoteRepository {
    const r = asRef(ref);
    return {
      ref: r,
      resolve: (opts = {}) => this.resolve(r, opts),
      fetch: (desc, opts = {}) => this.fetch(r, desc, opts),
      fetchBuffer: (desc, opts = {}) => this.fetchBuffer(r, desc, opts),
      blobExists: (desc, opts = {}) => this.blobExists(r, desc, opts),
      mountBlob: (desc, from, opts = {}) => this.mountBlob(r, desc, from, opts),
      pushBlob: (desc, body, opts = {}) => this.pushBlob(r, desc, body, opts),
      pushManifest: (desc, data, opts = {}) => this.pushManifest(r, desc, data, opts),
      tagExists: (tag, opts = {}) => this.tagExists(r, tag, opts),
    };
  }

  /** GET /v2/ on a registry domain, answering its auth challenge: checks reachability and credentials. */
  async ping(domain: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.transport.request({
      method: 'GET',
      domain,
      path: '/v2/',
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    await expectStatus(res, 'GET', [200], `login to ${domain}`);
    discard(res);
  }
}
