// Retries, deadlines, cancellation, redirects, endpoint choice and the resolve/fetch fallbacks, against
// fake servers on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKind } from '../../api/errdefs.js';
import { sha256Digest } from './digest.js';
import { RegistryError } from './errors.js';
import { allowsPlainHttp, endpointFor, isLocalhost } from './hosts.js';
import { MediaType } from './media.js';
import { Registry } from './registry.js';
import { type FakeServer, startFakeServer } from './testing/fake-server.js';
import { freePort } from './testing/registry-process.js';

const body = Buffer.from('some blob bytes, twenty-nine!');
const desc = { mediaType: MediaType.OciLayerGzip, digest: sha256Digest(body), size: body.length };
const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('endpoints', () => {
  it('uses https except for loopback and insecure hosts', () => {
    expect(endpointFor('docker.io').base).toBe('https://registry-1.docker.io');
    expect(endpointFor('ghcr.io').base).toBe('https://ghcr.io');
    expect(endpointFor('127.0.0.1:5000').base).toBe('http://127.0.0.1:5000');
    expect(endpointFor('localhost:5000').scheme).toBe('http');
    expect(endpointFor('[::1]:5000').base).toBe('http://[::1]:5000');
    expect(endpointFor('myreg:5000', { insecure: ['myreg:5000'] }).scheme).toBe('http');
    expect(endpointFor('myreg:5000', { insecure: ['myreg'] }).scheme).toBe('http');
    expect(endpointFor('myreg:5000', { insecure: ['other'] }).scheme).toBe('https');
    expect(endpointFor('myreg', { plainHttp: true }).scheme).toBe('http');
  });

  it('knows loopback', () => {
    for (const h of ['localhost', 'localhost:1', '127.0.0.1', '127.1.2.3:80', '::1', '[::1]:5000']) {
      expect(isLocalhost(h), h).toBe(true);
    }
    for (const h of ['10.0.0.1', 'example.com', 'localhost.example.com', '[::2]:5000', '128.0.0.1']) {
      expect(isLocalhost(h), h).toBe(false);
    }
    expect(allowsPlainHttp('10.0.0.1:5000')).toBe(false);
  });
});

describe('transport against fake servers', () => {
  let srv: FakeServer;
  let other: FakeServer;
  const hits = new Map<string, number>();
  const hit = (k: string): number => {
    const n = (hits.get(k) ?? 0) + 1;
    hits.set(k, n);
    return n;
  };

  beforeAll(async () => {
    other = await startFakeServer((req, res) => {
      res.setHeader('content-length', String(body.length));
      res.end(body);
    });
    srv = await startFakeServer(async (req, res) => {
      const p = new URL(req.url, 'http://x').pathname;
      if (p.startsWith('/v2/flaky/')) {
        if (hit(p) <= 2) {
          res.statusCode = 503;
          res.end('{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}');
          return;
        }
        res.end(body);
        return;
      }
      if (p.startsWith('/v2/down/')) {
        res.statusCode = 502;
        res.end('bad gateway');
        return;
      }
      if (p.startsWith('/v2/slow/')) {
        await new Promise((r) => setTimeout(r, 2000));
        if (!res.destroyed) res.end(body);
        return;
      }
      if (p.startsWith('/v2/redirect/')) {
        res.statusCode = 307;
        res.setHeader('location', `http://${other.host}/storage/blob?sig=abc`);
        res.end();
        return;
      }
      if (p.startsWith('/v2/wrong/')) {
        const bad = Buffer.from(body);
        bad[0] ^= 1;
        res.end(bad);
        return;
      }
      if (p.startsWith('/v2/short/')) {
        res.setHeader('transfer-encoding', 'chunked');
        res.end(body.subarray(0, 5));
        return;
      }
      if (p === '/v2/nodigest/manifests/v1') {
        // No Docker-Content-Digest: the resolver must GET and hash.
        res.setHeader('content-type', `${MediaType.OciManifest}; charset=utf-8`);
        res.end(req.method === 'HEAD' ? undefined : manifest);
        return;
      }
      if (p === '/v2/nohead/manifests/v1') {
        if (req.method === 'HEAD') {
          res.statusCode = 405;
          res.end();
          return;
        }
        res.setHeader('content-type', MediaType.DockerManifest);
        res.setHeader('docker-content-digest', sha256Digest(manifest));
        res.setHeader('content-length', String(manifest.length));
        res.end(manifest);
        return;
      }
      res.statusCode = 404;
      res.end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
    });
  });
  afterAll(async () => {
    await srv.close();
    await other.close();
  });

  const remote = (opts: ConstructorParameters<typeof Registry>[0] = {}): Registry =>
    new Registry({ credentials: () => undefined, backoffMs: 10, retries: 3, ...opts });

  it('retries 5xx with backoff and then succeeds', async () => {
    const data = await collect(await remote().fetch(`${srv.host}/flaky`, desc));
    expect(data.equals(body)).toBe(true);
    expect(hits.get(`/v2/flaky/blobs/${desc.digest}`)).toBe(3);
  });

  it('gives up after the retries with Unavailable naming URL and status', async () => {
    const before = srv.requests.length;
    const err = await rejection(remote({ retries: 2 }).fetch(`${srv.host}/down`, desc));
    expect(srv.requests.length - before).toBe(3);
    expect(isKind(err, 'Unavailable')).toBe(true);
    expect(err.message).toContain(`GET http://${srv.host}/v2/down/blobs/${desc.digest}: 502`);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(502);
  });

  it('reports connection failures as Unavailable after retries', async () => {
    const port = await freePort();
    const err = await rejection(remote({ retries: 1 }).resolve(`127.0.0.1:${port}/x:latest`));
    expect(isKind(err, 'Unavailable')).toBe(true);
    expect(err.message).toContain(`HEAD http://127.0.0.1:${port}/v2/x/manifests/latest`);
    expect(err.message).toContain('after 2 attempts');
  });

  it('enforces the per-request deadline', async () => {
    const start = Date.now();
    const err = await rejection(remote({ timeoutMs: 200, retries: 1 }).fetch(`${srv.host}/slow`, desc));
    expect(isKind(err, 'DeadlineExceeded')).toBe(true);
    expect(err.message).toContain('no progress for 200 ms');
    expect(Date.now() - start).toBeLessThan(1500);
  });

  it('cancels with the caller signal', async () => {
    const err = await rejection(
      remote().fetch(`${srv.host}/slow`, desc, { signal: AbortSignal.timeout(100) }),
    );
    expect(isKind(err, 'Canceled')).toBe(true);
  });

  it('follows redirects to storage without sending registry credentials there', async () => {
    const reg = remote();
    const data = await collect(await reg.fetch(`${srv.host}/redirect`, desc));
    expect(data.equals(body)).toBe(true);
    const last = other.requests.at(-1);
    expect(last?.url).toBe('/storage/blob?sig=abc');
    expect(last?.headers.authorization).toBeUndefined();
  });

  it('fails the stream (DataLoss) when the bytes do not match the digest or end short', async () => {
    const wrong = await rejection(collect(await remote().fetch(`${srv.host}/wrong`, desc)));
    expect(isKind(wrong, 'DataLoss')).toBe(true);
    expect(wrong.message).toContain('digest mismatch');
    const short = await rejection(collect(await remote().fetch(`${srv.host}/short`, desc)));
    expect(isKind(short, 'DataLoss')).toBe(true);
    // verify: false checks only the size.
    expect((await collect(await remote().fetch(`${srv.host}/wrong`, desc, { verify: false }))).length).toBe(
      body.length,
    );
  });

  it('rejects offsets outside the blob', async () => {
    const err = await rejection(remote().fetch(`${srv.host}/flaky`, desc, { offset: body.length + 1 }));
    expect(isKind(err, 'OutOfRange')).toBe(true);
  });

  it('resolves with GET and hashes the body when HEAD gives no digest', async () => {
    const r = await remote().resolve(`${srv.host}/nodigest:v1`);
    expect(r.descriptor).toEqual({
      mediaType: MediaType.OciManifest,
      digest: sha256Digest(manifest),
      size: manifest.length,
    });
  });

  it('resolves with GET when HEAD is not allowed', async () => {
    const r = await remote().resolve(`${srv.host}/nohead:v1`);
    expect(r.descriptor).toEqual({
      mediaType: MediaType.DockerManifest,
      digest: sha256Digest(manifest),
      size: manifest.length,
    });
  });

  it('names the URL and registry error code on NotFound', async () => {
    const err = await rejection(remote().fetch(`${srv.host}/missing`, desc));
    expect(isKind(err, 'NotFound')).toBe(true);
    expect(err.message).toContain(`http://${srv.host}/v2/missing/blobs/${desc.digest}`);
  });

  it('rejects bad references before any request', async () => {
    const before = srv.requests.length;
    expect(isKind(await rejection(remote().resolve(`${srv.host}/Bad:latest`)), 'InvalidArgument')).toBe(true);
    expect(isKind(await rejection(remote().resolve(`${srv.host}/ok:bad!tag`)), 'InvalidArgument')).toBe(true);
    expect(srv.requests.length).toBe(before);
  });
});
