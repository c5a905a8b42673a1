// Against Debian's real docker-registry on 127.0.0.1: push a small two-platform OCI image, then resolve,
// select a platform, fetch (with resume), mount across repositories, and check the error kinds.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKind } from '../../api/errdefs.js';
import { VerifyingStream, verifyBuffer } from './digest.js';
import { type ImageIndex, MediaType, isIndex } from './media.js';
import { onlyMatcher, selectManifests } from './platform.js';
import { Registry } from './registry.js';
import { type RunningRegistry, startRegistry } from './testing/registry-process.js';
import { type TestImage, buildImage, plain } from './testing/image.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('registry remote against docker-registry', () => {
  let reg: RunningRegistry;
  let remote: Registry;
  let image: TestImage;
  let repo: string;

  beforeAll(async () => {
    reg = await startRegistry();
    remote = new Registry({ credentials: () => undefined, timeoutMs: 10_000, retries: 1, backoffMs: 50 });
    image = buildImage();
    repo = `${reg.host}/tsctr/busybox`;
  });

  afterAll(async () => {
    await reg?.stop();
  });

  it('pushes blobs (monolithic, streamed, chunked), manifests by digest and the index by tag', async () => {
    const [amd64, arm64] = image.platforms;
    expect(await remote.blobExists(repo, image.layer.desc)).toBe(false);
    expect(await remote.pushBlob(repo, image.layer.desc, () => Readable.from([image.layer.data]))).toBe(
      'uploaded',
    );
    expect(await remote.blobExists(repo, image.layer.desc)).toBe(true);
    expect(await remote.pushBlob(repo, image.layer.desc, image.layer.data)).toBe('exists');
    expect(await remote.pushBlob(repo, amd64.config.desc, amd64.config.data)).toBe('uploaded');
    expect(await remote.pushBlob(repo, arm64.config.desc, arm64.config.data, { chunkSize: 7 })).toBe(
      'uploaded',
    );
    for (const p of image.platforms) await remote.pushManifest(repo, plain(p.manifest.desc), p.manifest.data);
    expect(await remote.tagExists(repo, 'latest')).toBe(false);
    await remote.pushManifest(repo, image.index.desc, image.index.data, { tag: 'latest' });
    expect(await remote.tagExists(repo, 'latest')).toBe(true);
    expect(await remote.tagExists(repo, 'latest', { digest: image.index.desc.digest })).toBe(true);
    expect(await remote.tagExists(repo, 'latest', { digest: amd64.manifest.desc.digest })).toBe(false);
  });

  it('resolves a tag to the index descriptor', async () => {
    const r = await remote.resolve(`${repo}:latest`);
    expect(r.name).toBe(`${repo}:latest`);
    expect(r.descriptor).toEqual({
      mediaType: MediaType.OciIndex,
      digest: image.index.desc.digest,
      size: image.index.desc.size,
    });
    // No tag means latest.
    expect((await remote.resolve(repo)).descriptor.digest).toBe(image.index.desc.digest);
  });

  it('binds the operations to one reference', async () => {
    const bound = remote.repository(`${repo}:latest`);
    const { descriptor } = await bound.resolve();
    expect(descriptor.digest).toBe(image.index.desc.digest);
    expect((await bound.fetchBuffer(descriptor)).equals(image.index.data)).toBe(true);
    expect(await bound.tagExists()).toBe(true);
    expect(await bound.blobExists(image.layer.desc)).toBe(true);
  });

  it('resolves a digest reference to the manifest descriptor', async () => {
    const m = image.platforms[1].manifest.desc;
    const r = await remote.resolve(`${repo}@${m.digest}`);
    expect(r.descriptor).toEqual({ mediaType: MediaType.OciManifest, digest: m.digest, size: m.size });
    const tagged = await remote.resolve(`${repo}:ignored@${m.digest}`);
    expect(tagged.name).toBe(`${repo}@${m.digest}`);
  });

  it('fetches the index and selects manifests by platform', async () => {
    const { descriptor } = await remote.resolve(`${repo}:latest`);
    expect(isIndex(descriptor.mediaType)).toBe(true);
    const index = JSON.parse((await remote.fetchBuffer(repo, descriptor)).toString()) as ImageIndex;
    const [amd64, arm64] = image.platforms;
    expect(
      selectManifests(index.manifests, onlyMatcher({ os: 'linux', architecture: 'arm64' }))[0].digest,
    ).toBe(arm64.manifest.desc.digest);
    expect(
      selectManifests(index.manifests, onlyMatcher({ os: 'linux', architecture: 'amd64' }))[0].digest,
    ).toBe(amd64.manifest.desc.digest);
    expect(() =>
      selectManifests(index.manifests, onlyMatcher({ os: 'linux', architecture: 's390x' })),
    ).toThrow(/no match for platform/);
    const manifest = await remote.fetchBuffer(repo, plain(arm64.manifest.desc));
    expect(manifest.equals(arm64.manifest.data)).toBe(true);
    const config = await remote.fetchBuffer(repo, arm64.config.desc);
    expect(JSON.parse(config.toString())).toMatchObject({ architecture: 'arm64', os: 'linux' });
  });

  it('streams a blob, and resumes it from an offset with a Range request', async () => {
    const whole = await collect(await remote.fetch(repo, image.layer.desc));
    expect(whole.equals(image.layer.data)).toBe(true);
    const offset = 10;
    const rest = await collect(await remote.fetch(repo, image.layer.desc, { offset }));
    expect(rest.equals(image.layer.data.subarray(offset))).toBe(true);
    // Verify the resumed stream with the bytes we already had.
    const seeded = new VerifyingStream(image.layer.desc, {
      offset,
      seed: image.layer.data.subarray(0, offset),
    });
    expect((await collect(Readable.from([rest]).pipe(seeded))).length).toBe(rest.length);
    // At the end there is nothing left to fetch.
    expect(
      (await collect(await remote.fetch(repo, image.layer.desc, { offset: image.layer.desc.size }))).length,
    ).toBe(0);
  });

  it('resumes a manifest even though the registry ignores Range on manifests', async () => {
    const rest = await collect(await remote.fetch(repo, image.index.desc, { offset: 5 }));
    expect(rest.equals(image.index.data.subarray(5))).toBe(true);
  });

  it('mounts blobs across repositories', async () => {
    const other = `${reg.host}/tsctr/other`;
    expect(await remote.blobExists(other, image.layer.desc)).toBe(false);
    expect(await remote.mountBlob(other, image.layer.desc, 'tsctr/busybox')).toEqual({ mounted: true });
    expect(await remote.blobExists(other, image.layer.desc)).toBe(true);
    const cfg = image.platforms[0].config;
    expect(await remote.pushBlob(other, cfg.desc, cfg.data, { mountFrom: ['tsctr/busybox'] })).toBe(
      'mounted',
    );
    // A mount the registry cannot satisfy opens a normal upload session instead.
    const fresh = buildImage({ 'x/': '', 'x/y': 'new\n' }).layer;
    const m = await remote.mountBlob(other, fresh.desc, 'tsctr/busybox');
    expect(m.mounted).toBe(false);
    expect(await remote.pushBlob(other, fresh.desc, fresh.data, { mountFrom: ['tsctr/busybox'] })).toBe(
      'uploaded',
    );
  });

  it('answers NotFound for a missing tag, manifest, blob or repository', async () => {
    const missing = `sha256:${'0'.repeat(64)}`;
    expect(isKind(await rejection(remote.resolve(`${repo}:nope`)), 'NotFound')).toBe(true);
    expect(isKind(await rejection(remote.resolve(`${reg.host}/tsctr/none:latest`)), 'NotFound')).toBe(true);
    expect(isKind(await rejection(remote.resolve(`${repo}@${missing}`)), 'NotFound')).toBe(true);
    const blobErr = await rejection(
      remote.fetch(repo, { mediaType: MediaType.OciLayerGzip, digest: missing, size: 3 }),
    );
    expect(isKind(blobErr, 'NotFound')).toBe(true);
    expect(blobErr.message).toContain(`/v2/tsctr/busybox/blobs/${missing}`);
    const manErr = await rejection(
      remote.fetchBuffer(repo, { mediaType: MediaType.OciManifest, digest: missing, size: 3 }),
    );
    expect(isKind(manErr, 'NotFound')).toBe(true);
    expect(await remote.tagExists(repo, 'nope')).toBe(false);
  });

  it('detects wrong sizes and digests', async () => {
    const { desc, data } = image.layer;
    // The registry's Content-Length disagrees with the descriptor.
    const sizeErr = await rejection(remote.fetch(repo, { ...desc, size: desc.size + 1 }));
    expect(isKind(sizeErr, 'DataLoss')).toBe(true);
    // The caller's verification helper catches altered bytes.
    const tampered = Buffer.from(data);
    tampered[tampered.length - 1] ^= 0xff;
    expect(() => verifyBuffer(desc, tampered)).toThrow(/digest mismatch/);
    const stream = Readable.from([tampered]).pipe(new VerifyingStream(desc));
    expect(isKind(await rejection(collect(stream)), 'DataLoss')).toBe(true);
    // Pushing a manifest whose bytes do not match its descriptor is refused before sending.
    const m = image.platforms[0].manifest;
    expect(isKind(await rejection(remote.pushManifest(repo, plain(m.desc), tampered)), 'DataLoss')).toBe(
      true,
    );
  });

  it('reports registry errors with the URL and status', async () => {
    const bad = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
    const desc = {
      mediaType: MediaType.OciManifest,
      digest: (await import('./digest.js')).sha256Digest(bad),
      size: bad.length,
    };
    const err = await rejection(remote.pushManifest(repo, desc, bad, { tag: 'broken' }));
    expect(isKind(err, 'InvalidArgument')).toBe(true);
    expect(err.message).toContain(`PUT http://${reg.host}/v2/tsctr/busybox/manifests/broken: 400`);
  });
});
