// Test helper: build a tiny multi-platform OCI image in memory (a gzip layer tar of a few files, one config
// and one manifest per platform, and an index over them).
import { gzipSync } from 'node:zlib';
import { sha256Digest } from '../digest.js';
import { type Descriptor, type ImageIndex, type ImageManifest, MediaType } from '../media.js';

export interface Blob {
  desc: Descriptor;
  data: Buffer;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** A ustar header followed by the padded content. */
function tarEntry(name: string, content: Buffer, type: '0' | '5'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(type === '5' ? 0o755 : 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(content.length, 12), 124, 'ascii');
  h.write(octal(1_700_000_000, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([h, content, pad]);
}

/** An uncompressed tar of `files` (directories end with "/"). */
export function makeTar(files: Record<string, string>): Buffer {
  const parts = Object.entries(files).map(([name, text]) =>
    name.endsWith('/') ? tarEntry(name, Buffer.alloc(0), '5') : tarEntry(name, Buffer.from(text), '0'),
  );
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}

export function blob(mediaType: string, data: Buffer, extra: Partial<Descriptor> = {}): Blob {
  return { desc: { mediaType, digest: sha256Digest(data), size: data.length, ...extra }, data };
}

export interface TestImage {
  layer: Blob;
  /** Per platform: config and manifest. */
  platforms: Array<{ os: string; architecture: string; variant?: string; config: Blob; manifest: Blob }>;
  index: Blob;
}

export function buildImage(
  files: Record<string, string> = { 'etc/': '', 'etc/hello': 'hello from tsctr\n' },
): TestImage {
  const tar = makeTar(files);
  const layer = blob(MediaType.OciLayerGzip, gzipSync(tar));
  const diffId = sha256Digest(tar);
  const targets = [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ];
  const platforms = targets.map((p) => {
    const cfg = {
      architecture: p.architecture,
      os: p.os,
      ...(p.variant ? { variant: p.variant } : {}),
      config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    };
    const config = blob(MediaType.OciConfig, Buffer.from(JSON.stringify(cfg)));
    const m: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: config.desc,
      layers: [layer.desc],
    };
    const manifest = blob(MediaType.OciManifest, Buffer.from(JSON.stringify(m)), { platform: p });
    return { ...p, config, manifest };
  });
  const idx: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: platforms.map((p) => p.manifest.desc),
  };
  const index = blob(MediaType.OciIndex, Buffer.from(JSON.stringify(idx)));
  return { layer, platforms, index };
}

/** The descriptor without the platform (what a push or fetch needs). */
export function plain(desc: Descriptor): Descriptor {
  return { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
}
