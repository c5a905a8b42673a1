// Resolve a reference to the descriptor of its root manifest or index: HEAD /v2/<repo>/manifests/<tag|digest>
// with containerd's Accept list, falling back to GET (and hashing the body) when HEAD does not say.
import { createHash } from 'node:crypto';
import { notFound } from '../../api/errdefs.js';
import { repositoryScope } from './auth.js';
import { validateDigest } from './digest.js';
import { type HttpResponse, discard, header } from './http.js';
import { type Descriptor, MediaType, manifestAccept } from './media.js';
import { type ImageReference, parseReference } from './reference.js';
import { type Transport, expectStatus } from './transport.js';

export interface Resolved {
  /** The normalised reference ("docker.io/library/busybox:latest"). */
  name: string;
  ref: ImageReference;
  descriptor: Descriptor;
}

/** containerd refuses manifests larger than this while resolving. */
export const MAX_MANIFEST_SIZE = 4 * 1048 * 1048;

function mediaTypeOf(res: HttpResponse): string {
  let ct = header(res, 'content-type') ?? '';
  const semi = ct.indexOf(';');
  if (semi !== -1) ct = ct.slice(0, semi);
  ct = ct.trim();
  return ct === 'text/plain' ? MediaType.DockerSchema1Manifest : ct;
}

function contentLength(res: HttpResponse): number {
  const v = header(res, 'content-length');
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : -1;
}

export async function resolve(
  transport: Transport,
  reference: string | ImageReference,
  opts: { signal?: AbortSignal } = {},
): Promise<Resolved> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const object = ref.digest ?? ref.tag ?? 'latest';
  const base = {
    domain: ref.host,
    headers: { accept: manifestAccept },
    scopes: [repositoryScope(ref.path)],
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  // A digest may name a manifest or, on some registries, only a blob (containerd tries both).
  const paths = ref.digest
    ? [`/v2/${ref.path}/manifests/${ref.digest}`, `/v2/${ref.path}/blobs/${ref.digest}`]
    : [`/v2/${ref.path}/manifests/${object}`];
  const context = `resolving ${ref.string}`;
  for (const path of paths) {
    let method = 'HEAD';
    let res = await transport.request({ ...base, method, path });
    if (res.status === 405) {
      discard(res);
      method = 'GET';
      res = await transport.request({ ...base, method, path });
    }
    if (res.status === 404) {
      discard(res);
      continue;
    }
    const denied = res.status === 401 || res.status === 403;
    await expectStatus(
      res,
      method,
      [200],
      denied
        ? `${context}: pull access denied, repository does not exist or may require authorization`
        : context,
    );
    let mediaType = mediaTypeOf(res);
    let size = contentLength(res);
    let digest = ref.digest;
    const headerDigest = header(res, 'docker-content-digest');
    if (!digest && headerDigest && size !== -1) digest = validateDigest(headerDigest);
    discard(res);
    if (!digest || size === -1) {
      const get = await expectStatus(
        await transport.request({ ...base, method: 'GET', path }),
        'GET',
        [200],
        context,
      );
      mediaType = mediaTypeOf(get);
      const hash = createHash('sha256');
      size = 0;
      for await (const chunk of get.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_MANIFEST_SIZE) {
          get.body.destroy();
          break;
        }
        hash.update(chunk);
      }
      digest ??= `sha256:${hash.digest('hex')}`;
    }
    if (size > MAX_MANIFEST_SIZE) throw notFound(`rejecting ${size} byte manifest for ${ref.string}`);
    return { name: ref.string, ref, descriptor: { mediaType, digest, size } };
  }
  throw notFound(`${ref.string}: not found`);
}
