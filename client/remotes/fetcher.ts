// Fetch a manifest or blob by descriptor as a stream: alternative URLs first (foreign layers), Range requests
// to resume at an offset, and a size (and, from offset 0, digest) check on the bytes that flow.
import { PassThrough, type Readable, Transform, type TransformCallback, pipeline } from 'node:stream';
import { dataLoss, notFound, outOfRange } from '../../api/errdefs.js';
import { repositoryScope } from './auth.js';
import { VerifyingStream, validateDigest, verifyBuffer } from './digest.js';
import { type HttpResponse, discard, header, readBody } from './http.js';
import { type Descriptor, isManifestOrIndex } from './media.js';
import type { ImageReference } from './reference.js';
import { type Transport, expectStatus } from './transport.js';

export interface FetchOptions {
  /** Resume from this byte (a Range request; servers that ignore Range are skipped forward). */
  offset?: number;
  signal?: AbortSignal;
  /** Check the digest when reading from offset 0 (default true). The size is always checked. */
  verify?: boolean;
}

/** Drops the first `n` bytes (a server that answered a Range request with the whole blob). */
class Skip extends Transform {
  constructor(private left: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.left >= chunk.length) {
      this.left -= chunk.length;
      done();
      return;
    }
    const rest = this.left > 0 ? chunk.subarray(this.left) : chunk;
    this.left = 0;
    done(null, rest);
  }
  override _flush(done: TransformCallback): void {
    done(this.left > 0 ? dataLoss('unable to discard to offset: body ended early') : null);
  }
}

function candidates(ref: ImageReference, desc: Descriptor): Array<{ url?: string; path?: string }> {
  const out: Array<{ url?: string; path?: string }> = [];
  for (const u of desc.urls ?? []) {
    if (/^https?:\/\//i.test(u)) out.push({ url: u });
  }
  const kind = isManifestOrIndex(desc.mediaType) ? 'manifests' : 'blobs';
  out.push({ path: `/v2/${ref.path}/${kind}/${desc.digest}` });
  return out;
}

async function open(
  transport: Transport,
  ref: ImageReference,
  desc: Descriptor,
  offset: number,
  signal?: AbortSignal,
) {
  const headers: Record<string, string> = { accept: `${desc.mediaType}, */*` };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  let lastUrl = '';
  for (const c of candidates(ref, desc)) {
    const res = await transport.request({
      method: 'GET',
      domain: ref.host,
      ...c,
      headers,
      scopes: [repositoryScope(ref.path)],
      ...(signal ? { signal } : {}),
    });
    lastUrl = res.url;
    if (res.status === 404) {
      discard(res);
      continue;
    }
    return expectStatus(res, 'GET', [200, 206], `fetching ${desc.digest}`);
  }
  throw notFound(`content at ${lastUrl} not found (${desc.digest}, ${desc.mediaType})`);
}

/** Check the response against the descriptor and offset; a Skip stage when the server ignored Range. */
function check(res: HttpResponse, desc: Descriptor, offset: number): Skip | undefined {
  const length = header(res, 'content-length');
  if (res.status === 206) {
    const range = header(res, 'content-range') ?? '';
    if (!range.startsWith(`bytes ${offset}-`)) {
      discard(res);
      throw dataLoss(`${res.url}: unhandled content range in response: ${range || '(none)'}`);
    }
    if (length !== undefined && desc.size >= 0 && Number(length) !== desc.size - offset) {
      discard(res);
      throw dataLoss(`${res.url}: ${length} bytes from offset ${offset}, expected ${desc.size - offset}`);
    }
    return undefined;
  }
  if (length !== undefined && desc.size >= 0 && Number(length) !== desc.size) {
    discard(res);
    throw dataLoss(`${res.url}: content-length ${length}, descriptor says ${desc.size}`);
  }
  return offset > 0 ? new Skip(offset) : undefined;
}

/**
 * Open a manifest or blob of `ref`'s repository for reading from `offset`. The stream errors (DataLoss) if
 * the bytes do not match the descriptor; NotFound when no source has it.
 */
export async function fetchStream(
  transport: Transport,
  ref: ImageReference,
  desc: Descriptor,
  opts: FetchOptions = {},
): Promise<Readable> {
  validateDigest(desc.digest);
  const offset = opts.offset ?? 0;
  if (offset < 0 || (desc.size >= 0 && offset > desc.size)) {
    throw outOfRange(`offset ${offset} is outside ${desc.digest} (${desc.size} bytes)`);
  }
  if (desc.size >= 0 && offset === desc.size && offset > 0) return new PassThrough().end();
  const res = await open(transport, ref, desc, offset, opts.signal);
  const skip = check(res, desc, offset);
  const verifier = new VerifyingStream(desc, { offset, checkDigest: opts.verify !== false });
  const done = (): void => undefined;
  if (skip) pipeline(res.body, skip, verifier, done);
  else pipeline(res.body, verifier, done);
  return verifier;
}

/** Fetch a small object (manifest, index, config) whole, verified against its descriptor. */
export async function fetchBuffer(
  transport: Transport,
  ref: ImageReference,
  desc: Descriptor,
  opts: { signal?: AbortSignal; limit?: number } = {},
): Promise<Buffer> {
  const limit = opts.limit ?? 64 << 20;
  if (desc.size > limit)
    throw outOfRange(`${desc.digest}: ${desc.size} bytes is over the ${limit} byte limit`);
  const res = await open(transport, ref, desc, 0, opts.signal);
  return verifyBuffer(desc, await readBody(res, limit));
}
