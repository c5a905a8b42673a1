// Push to a registry: blob existence (HEAD), cross-repository mount, uploads (POST then one PUT, or PATCH
// chunks then PUT), manifest PUT with its media type, and tag checks.
import type { Readable } from 'node:stream';
import { dataLoss, invalidArgument } from '../../api/errdefs.js';
import { repositoryScope } from './auth.js';
import { validateDigest, verifyBuffer } from './digest.js';
import { type HttpResponse, discard, header } from './http.js';
import { type Descriptor, manifestAccept } from './media.js';
import { type ImageReference, validateRepositoryPath, withTag } from './reference.js';
import { type Transport, expectStatus } from './transport.js';

export interface PushOptions {
  signal?: AbortSignal;
}

export interface PushBlobOptions extends PushOptions {
  /** Upload in PATCH chunks of this many bytes; 0 or unset sends the whole blob in the final PUT. */
  chunkSize?: number;
  /** Repositories on the same registry to try mounting the blob from first. */
  mountFrom?: string[];
}

/** What a push did: the blob was there already, was mounted from another repository, or was uploaded. */
export type PushResult = 'exists' | 'mounted' | 'uploaded';

function base(ref: ImageReference, opts: PushOptions, extraScopes: string[] = []) {
  return {
    domain: ref.host,
    scopes: [repositoryScope(ref.path, true), ...extraScopes],
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}

function locationOf(res: HttpResponse): string {
  const location = header(res, 'location');
  if (!location) throw dataLoss(`${res.url}: upload response has no Location`);
  return new URL(location, res.url).toString();
}

/** Whether the repository has the blob (HEAD /v2/<repo>/blobs/<digest>). */
export async function blobExists(
  transport: Transport,
  ref: ImageReference,
  desc: Pick<Descriptor, 'digest'>,
  opts: PushOptions = {},
): Promise<boolean> {
  validateDigest(desc.digest);
  const res = await transport.request({
    ...base(ref, opts),
    method: 'HEAD',
    path: `/v2/${ref.path}/blobs/${desc.digest}`,
  });
  discard(res);
  if (res.status === 404) return false;
  await expectStatus(res, 'HEAD', [200], `checking ${desc.digest}`);
  return true;
}

/**
 * Ask the registry to link a blob from another repository it holds (POST …/blobs/uploads/?mount=&from=).
 * Returns 'mounted', or the Location of the upload session the registry opened instead.
 */
export async function mountBlob(
  transport: Transport,
  ref: ImageReference,
  desc: Pick<Descriptor, 'digest'>,
  fromRepository: string,
  opts: PushOptions = {},
): Promise<{ mounted: true } | { mounted: false; location: string }> {
  validateDigest(desc.digest);
  validateRepositoryPath(fromRepository);
  const query = new URLSearchParams({ mount: desc.digest, from: fromRepository });
  const res = await transport.request({
    ...base(ref, opts, [repositoryScope(fromRepository)]),
    method: 'POST',
    path: `/v2/${ref.path}/blobs/uploads/?${query.toString()}`,
  });
  await expectStatus(res, 'POST', [201, 202], `mounting ${desc.digest} from ${fromRepository}`);
  discard(res);
  return res.status === 201 ? { mounted: true } : { mounted: false, location: locationOf(res) };
}

/** Open an upload session; returns its Location. */
export async function startUpload(
  transport: Transport,
  ref: ImageReference,
  opts: PushOptions = {},
): Promise<string> {
  const res = await transport.request({
    ...base(ref, opts),
    method: 'POST',
    path: `/v2/${ref.path}/blobs/uploads/`,
  });
  await expectStatus(res, 'POST', [202], 'starting upload');
  discard(res);
  return locationOf(res);
}

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.append('digest', digest);
  return u.toString();
}

async function finish(
  transport: Transport,
  ref: ImageReference,
  desc: Descriptor,
  location: string,
  body: Buffer | (() => Readable) | undefined,
  opts: PushOptions,
): Promise<void> {
  const res = await transport.request({
    ...base(ref, opts),
    method: 'PUT',
    url: withDigest(location, desc.digest),
    headers: {
      'content-type': 'application/octet-stream',
      ...(body && !Buffer.isBuffer(body) ? { 'content-length': String(desc.size) } : {}),
    },
    ...(body ? { body } : {}),
  });
  await expectStatus(res, 'PUT', [201, 204], `uploading ${desc.digest}`);
  discard(res);
  const got = header(res, 'docker-content-digest');
  if (got && got !== desc.digest) throw dataLoss(`registry stored ${got}, expected ${desc.digest}`);
}

async function* chunks(body: Buffer | (() => Readable), size: number): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(body)) {
    for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
    return;
  }
  let pending: Buffer[] = [];
  let n = 0;
  for await (const chunk of body() as AsyncIterable<Buffer>) {
    let c = chunk;
    while (n + c.length >= size) {
      const take = size - n;
      pending.push(c.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      n = 0;
      c = c.subarray(take);
    }
    if (c.length) {
      pending.push(c);
      n += c.length;
    }
  }
  if (n) yield Buffer.concat(pending);
}

/** Send the blob in PATCH chunks to the session at `location`; returns the session's last Location. */
async function patchChunks(
  transport: Transport,
  ref: ImageReference,
  location: string,
  body: Buffer | (() => Readable),
  chunkSize: number,
  opts: PushOptions,
): Promise<{ location: string; sent: number }> {
  let sent = 0;
  for await (const chunk of chunks(body, chunkSize)) {
    const res = await transport.request({
      ...base(ref, opts),
      method: 'PATCH',
      url: location,
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `${sent}-${sent + chunk.length - 1}`,
      },
      body: chunk,
    });
    await expectStatus(res, 'PATCH', [202, 204], `uploading chunk at ${sent}`);
    discard(res);
    location = locationOf(res);
    sent += chunk.length;
  }
  return { location, sent };
}

/**
 * Push a blob unless the repository already has it: try mounts, else upload. `body` is a Buffer or a
 * factory of fresh streams (called again if a monolithic PUT is retried).
 */
export async function pushBlob(
  transport: Transport,
  ref: ImageReference,
  desc: Descriptor,
  body: Buffer | (() => Readable),
  opts: PushBlobOptions = {},
): Promise<PushResult> {
  validateDigest(desc.digest);
  if (Buffer.isBuffer(body)) verifyBuffer(desc, body);
  if (await blobExists(transport, ref, desc, opts)) return 'exists';
  let location: string | undefined;
  for (const from of opts.mountFrom ?? []) {
    if (from === ref.path) continue;
    const m = await mountBlob(transport, ref, desc, from, opts);
    if (m.mounted) return 'mounted';
    location = m.location;
    break;
  }
  location ??= await startUpload(transport, ref, opts);
  const chunkSize = opts.chunkSize ?? 0;
  if (chunkSize > 0) {
    const done = await patchChunks(transport, ref, location, body, chunkSize, opts);
    if (desc.size >= 0 && done.sent !== desc.size) {
      throw dataLoss(`${desc.digest}: sent ${done.sent} bytes, descriptor says ${desc.size}`);
    }
    await finish(transport, ref, desc, done.location, undefined, opts);
  } else {
    await finish(transport, ref, desc, location, body, opts);
  }
  return 'uploaded';
}

/**
 * PUT a manifest or index (its bytes, checked against `desc`) under `tag`, or under its digest when no tag is
 * given. Content-Type is the descriptor's media type.
 */
export async function pushManifest(
  transport: Transport,
  ref: ImageReference,
  desc: Descriptor,
  data: Buffer,
  opts: PushOptions & { tag?: string } = {},
): Promise<void> {
  verifyBuffer(desc, data);
  if (!desc.mediaType) throw invalidArgument(`manifest ${desc.digest} has no media type`);
  const object = opts.tag ?? desc.digest;
  const res = await transport.request({
    ...base(ref, opts),
    method: 'PUT',
    path: `/v2/${ref.path}/manifests/${object}`,
    headers: { 'content-type': desc.mediaType },
    body: data,
  });
  await expectStatus(res, 'PUT', [200, 201, 204], `pushing manifest ${desc.digest} as ${object}`);
  discard(res);
  const got = header(res, 'docker-content-digest');
  if (got && got !== desc.digest) throw dataLoss(`registry stored manifest ${got}, expected ${desc.digest}`);
}

/** Whether `tag` exists in the repository (and, given `digest`, points at it). */
export async function tagExists(
  transport: Transport,
  ref: ImageReference,
  tag: string,
  opts: PushOptions & { digest?: string } = {},
): Promise<boolean> {
  withTag(ref, tag);
  const res = await transport.request({
    domain: ref.host,
    scopes: [repositoryScope(ref.path)],
    ...(opts.signal ? { signal: opts.signal } : {}),
    method: 'HEAD',
    path: `/v2/${ref.path}/manifests/${tag}`,
    headers: { accept: manifestAccept },
  });
  discard(res);
  if (res.status === 404) return false;
  await expectStatus(res, 'HEAD', [200], `checking tag ${tag}`);
  return opts.digest === undefined || header(res, 'docker-content-digest') === opts.digest;
}
