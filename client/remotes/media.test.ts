import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isKind } from '../../api/errdefs.js';
import { VerifyingStream, isValidDigest, sha256Digest, validateDigest, verifyBuffer } from './digest.js';
import {
  MediaType,
  isConfig,
  isDockerType,
  isIndex,
  isLayer,
  isManifest,
  isManifestOrIndex,
  isNonDistributable,
  layerCompression,
  manifestAccept,
} from './media.js';

describe('media types', () => {
  it('classifies', () => {
    expect(isIndex(MediaType.OciIndex)).toBe(true);
    expect(isIndex(MediaType.DockerManifestList)).toBe(true);
    expect(isIndex(MediaType.OciManifest)).toBe(false);
    expect(isManifest(MediaType.DockerManifest)).toBe(true);
    expect(isManifest(MediaType.OciManifest)).toBe(true);
    expect(isManifestOrIndex(MediaType.DockerSchema1Manifest)).toBe(true);
    expect(isManifestOrIndex(MediaType.OciLayerGzip)).toBe(false);
    expect(isConfig(MediaType.OciConfig)).toBe(true);
    expect(isConfig(MediaType.DockerConfig)).toBe(true);
    expect(isConfig(MediaType.OciLayer)).toBe(false);
    for (const t of [
      MediaType.OciLayer,
      MediaType.OciLayerGzip,
      MediaType.OciLayerZstd,
      MediaType.OciLayerNonDistributableGzip,
      MediaType.DockerLayerGzip,
      MediaType.DockerLayerForeignGzip,
      `${MediaType.OciLayerGzip}+encrypted`,
    ]) {
      expect(isLayer(t), t).toBe(true);
    }
    expect(isLayer(MediaType.OciConfig)).toBe(false);
    expect(isNonDistributable(MediaType.DockerLayerForeignGzip)).toBe(true);
    expect(isNonDistributable(MediaType.OciLayerGzip)).toBe(false);
    expect(isDockerType(MediaType.DockerConfig)).toBe(true);
  });

  it('knows layer compression like containerd', () => {
    expect(layerCompression(MediaType.OciLayer)).toBe('');
    expect(layerCompression(MediaType.OciLayerGzip)).toBe('gzip');
    expect(layerCompression(MediaType.OciLayerZstd)).toBe('zstd');
    expect(layerCompression(MediaType.OciLayerNonDistributableZstd)).toBe('zstd');
    expect(layerCompression(MediaType.DockerLayerGzip)).toBe('gzip');
    expect(layerCompression(MediaType.DockerLayer)).toBe('unknown');
    expect(layerCompression(`${MediaType.OciLayerGzip}+encrypted`)).toBe('gzip');
    expect(layerCompression(`${MediaType.DockerLayerGzip}+encrypted`)).toBe('');
    try {
      layerCompression(MediaType.OciConfig);
      throw new Error('accepted');
    } catch (err) {
      expect(isKind(err, 'NotImplemented')).toBe(true);
    }
  });

  it('sends containerd’s Accept list', () => {
    expect(manifestAccept).toBe(
      'application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, ' +
        'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, */*',
    );
  });
});

describe('digests', () => {
  it('validates', () => {
    expect(validateDigest(sha256Digest('x'))).toBe(sha256Digest('x'));
    expect(isValidDigest(`sha512:${'a'.repeat(128)}`)).toBe(true);
    for (const bad of [
      '',
      'sha256',
      'sha256:',
      `sha256:${'A'.repeat(64)}`,
      `sha256:${'a'.repeat(63)}`,
      `md5:${'a'.repeat(32)}`,
      `:${'a'.repeat(64)}`,
    ]) {
      expect(isValidDigest(bad), bad).toBe(false);
    }
  });

  it('verifies buffers and streams', async () => {
    const data = Buffer.from('hello');
    const desc = { digest: sha256Digest(data), size: data.length };
    expect(verifyBuffer(desc, data)).toBe(data);
    expect(() => verifyBuffer({ ...desc, size: 4 }, data)).toThrow(/got 5 bytes/);
    expect(() => verifyBuffer({ ...desc, digest: sha256Digest('other') }, data)).toThrow(/digest mismatch/);
    const read = async (s: Readable): Promise<Buffer> => {
      const out: Buffer[] = [];
      for await (const c of s as AsyncIterable<Buffer>) out.push(c);
      return Buffer.concat(out);
    };
    expect((await read(Readable.from([data]).pipe(new VerifyingStream(desc)))).equals(data)).toBe(true);
    await expect(read(Readable.from([data, data]).pipe(new VerifyingStream(desc)))).rejects.toThrow(
      /more than/,
    );
    await expect(
      read(Readable.from([data.subarray(1)]).pipe(new VerifyingStream(desc, { offset: 1 }))),
    ).resolves.toHaveLength(4);
    await expect(
      read(
        Readable.from([Buffer.from('ELLO')]).pipe(
          new VerifyingStream(desc, { offset: 1, seed: Buffer.from('h') }),
        ),
      ),
    ).rejects.toThrow(/digest mismatch/);
  });
});
