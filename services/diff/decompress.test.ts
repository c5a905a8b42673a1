import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKind } from '../../api/errdefs.js';
import { applyLayer } from './apply.js';
import { compressionOf, decompressStream, detectCompression } from './decompress.js';
import { buildTar, collect, removeDir, sha256, streamOf, tempDir } from './test-helpers.js';

const zstd = (b: Buffer): Buffer => spawnSync('/usr/bin/zstd', ['-c', '-q'], { input: b }).stdout;

describe('compressionOf', () => {
  it('maps layer media types', () => {
    expect(compressionOf('application/vnd.oci.image.layer.v1.tar')).toBe('none');
    expect(compressionOf('application/vnd.oci.image.layer.v1.tar+gzip')).toBe('gzip');
    expect(compressionOf('application/vnd.oci.image.layer.v1.tar+zstd')).toBe('zstd');
    expect(compressionOf('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip')).toBe('gzip');
    expect(compressionOf('application/vnd.docker.image.rootfs.diff.tar.gzip')).toBe('gzip');
    expect(compressionOf('application/vnd.docker.image.rootfs.diff.tar')).toBe('sniff');
    expect(compressionOf('application/vnd.docker.image.rootfs.foreign.diff.tar')).toBe('sniff');
    expect(compressionOf('application/vnd.oci.image.layer.v2.tar+lz4')).toBe('sniff');
  });

  it('refuses what is not a layer, and encrypted layers', () => {
    for (const mt of ['application/json', 'application/vnd.oci.image.manifest.v1+json', '']) {
      expect(() => compressionOf(mt)).toThrow(/unrecognised layer media type/);
    }
    expect(() => compressionOf('application/vnd.oci.image.layer.v1.tar+gzip+encrypted')).toThrow(/encrypted/);
  });

  it('sniffs magic numbers', () => {
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 0x08, 0]))).toBe('gzip');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd');
    expect(detectCompression(Buffer.from([0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0]))).toBe('zstd');
    expect(detectCompression(Buffer.from('etc/passwd'))).toBe('none');
    expect(detectCompression(Buffer.alloc(0))).toBe('none');
  });
});

describe('decompressStream and diffIds', () => {
  let base: string;
  let layer: Buffer;
  beforeEach(async () => {
    base = await tempDir('decompress');
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    layer = await buildTar([
      { name: 'dir/', type: 'directory' },
      { name: 'dir/big', content: big },
      { name: 'dir/small', content: 'hello' },
    ]);
  });
  afterEach(() => removeDir(base));

  const applyTo = async (name: string, blob: Buffer, mediaType: string) => {
    const root = path.join(base, name);
    await fs.mkdir(root);
    const res = await applyLayer(streamOf(blob), mediaType, { root, lowers: [], mode: 'naive' });
    expect(await fs.readFile(path.join(root, 'dir/small'), 'utf8')).toBe('hello');
    return res;
  };

  it('gives gzip, zstd and plain layers the diffId of the uncompressed tar', async () => {
    const want = { diffId: sha256(layer), size: layer.length };
    expect(await applyTo('plain', layer, 'application/vnd.oci.image.layer.v1.tar')).toEqual(want);
    expect(await applyTo('gzip', gzipSync(layer), 'application/vnd.oci.image.layer.v1.tar+gzip')).toEqual(
      want,
    );
    expect(await applyTo('zstd', zstd(layer), 'application/vnd.oci.image.layer.v1.tar+zstd')).toEqual(want);
    expect(
      await applyTo('dgzip', gzipSync(layer), 'application/vnd.docker.image.rootfs.diff.tar.gzip'),
    ).toEqual(want);
    // docker's plain type is sniffed: all three encodings work.
    const docker = 'application/vnd.docker.image.rootfs.diff.tar';
    expect(await applyTo('d1', layer, docker)).toEqual(want);
    expect(await applyTo('d2', gzipSync(layer), docker)).toEqual(want);
    expect(await applyTo('d3', zstd(layer), docker)).toEqual(want);
  });

  it('counts and hashes trailing data after the end-of-archive marker', async () => {
    const padded = Buffer.concat([layer, Buffer.alloc(20_000)]);
    const res = await applyTo('padded', gzipSync(padded), 'application/vnd.oci.image.layer.v1.tar+gzip');
    expect(res).toEqual({ diffId: sha256(padded), size: padded.length });
  });

  it('streams the same bytes back', async () => {
    const out = await collect(
      decompressStream(streamOf(zstd(layer), 3), 'application/vnd.oci.image.layer.v1.tar+zstd'),
    );
    expect(out.equals(layer)).toBe(true);
  });

  it('rejects unknown media types with notImplemented and corrupt data with an error', async () => {
    const err = await applyTo('json', layer, 'application/json').catch((e: unknown) => e);
    expect(isKind(err, 'NotImplemented')).toBe(true);
    const z = zstd(layer);
    const broken = z.subarray(0, z.length - 20);
    await expect(applyTo('broken', broken, 'application/vnd.oci.image.layer.v1.tar+zstd')).rejects.toThrow();
    const gz = gzipSync(layer);
    gz[gz.length - 5] ^= 0xff; // corrupt the CRC/size trailer
    await expect(applyTo('badgz', gz, 'application/vnd.oci.image.layer.v1.tar+gzip')).rejects.toThrow();
  });
});
