// Test images the project builds itself from Debian's busybox-static: nothing comes from the internet.
// Layers are written with tar-stream (deterministic: fixed times, sorted entries) and gzip.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device';
  mode?: number;
  data?: Buffer | string;
  linkname?: string;
  uid?: number;
  gid?: number;
}

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  data: Buffer;
}

export interface TestImage {
  index?: Blob;
  manifest: Blob;
  config: Blob;
  layers: Blob[];
  diffIds: string[];
  /** Every blob by digest. */
  blobs: Map<string, Blob>;
}

const MTIME = new Date('2024-01-01T00:00:00Z');
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blob = (mediaType: string, data: Buffer): Blob => ({
  mediaType,
  digest: sha(data),
  size: data.length,
  data,
});

export async function tarOf(entries: Entry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (const e of entries) {
    const type = e.type ?? (e.data !== undefined ? 'file' : 'directory');
    const data = e.data === undefined ? undefined : Buffer.from(e.data);
    await new Promise<void>((resolve, reject) =>
      p.entry(
        {
          name: e.name,
          type,
          mode: e.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
          mtime: MTIME,
          uid: e.uid ?? 0,
          gid: e.gid ?? 0,
          linkname: e.linkname,
          size: data?.length ?? 0,
        },
        data ?? Buffer.alloc(0),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The base layer: /bin/busybox with its applets as symlinks, /etc/passwd and /etc/group. */
export function busyboxEntries(): Entry[] {
  const applets = execFileSync('/bin/busybox', ['--list'])
    .toString()
    .trim()
    .split('\n')
    .filter((a) => a && a !== 'busybox');
  return [
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', data: readFileSync('/bin/busybox'), mode: 0o755 },
    ...applets.sort().map((a): Entry => ({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox' })),
    { name: 'dev/', type: 'directory' },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/group', data: 'root:x:0:\nnogroup:x:65534:\n' },
    {
      name: 'etc/passwd',
      data: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    },
    { name: 'proc/', type: 'directory' },
    { name: 'root/', type: 'directory', mode: 0o700 },
    { name: 'sys/', type: 'directory' },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
  ];
}

export async function buildImage(
  layers: Entry[][],
  opts: { cmd?: string[]; platforms?: string[] } = {},
): Promise<TestImage> {
  const blobs = new Map<string, Blob>();
  const layerBlobs: Blob[] = [];
  const diffIds: string[] = [];
  for (const entries of layers) {
    const tar = await tarOf(entries);
    diffIds.push(sha(tar));
    const b = blob('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(tar, { level: 6 }));
    layerBlobs.push(b);
    blobs.set(b.digest, b);
  }
  const config = blob(
    'application/vnd.oci.image.config.v1+json',
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: MTIME.toISOString(),
        config: { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: opts.cmd ?? ['sh'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: layers.map(() => ({ created: MTIME.toISOString(), created_by: 'tsctr test image' })),
      }),
    ),
  );
  blobs.set(config.digest, config);
  const manifest = blob(
    'application/vnd.oci.image.manifest.v1+json',
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
        layers: layerBlobs.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      }),
    ),
  );
  blobs.set(manifest.digest, manifest);
  const img: TestImage = { manifest, config, layers: layerBlobs, diffIds, blobs };
  if (opts.platforms) {
    const index = blob(
      'application/vnd.oci.image.index.v1+json',
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: opts.platforms.map((p) => {
            const [os, architecture] = p.split('/');
            return {
              mediaType: manifest.mediaType,
              digest: manifest.digest,
              size: manifest.size,
              platform: { os, architecture },
            };
          }),
        }),
      ),
    );
    blobs.set(index.digest, index);
    img.index = index;
  }
  return img;
}

/** busybox, one layer. */
export const busybox = (): Promise<TestImage> => buildImage([busyboxEntries()]);

/** busybox plus two layers exercising deletions (whiteouts) and an opaque directory. */
export const layered = (): Promise<TestImage> =>
  buildImage([
    busyboxEntries(),
    [
      { name: 'data/', type: 'directory' },
      { name: 'data/a', data: 'alpha\n' },
      { name: 'data/b', data: 'beta\n' },
      { name: 'gone/', type: 'directory' },
      { name: 'gone/y', data: 'will be deleted\n' },
      { name: 'keep/', type: 'directory' },
      { name: 'keep/old', data: 'hidden by opaque\n' },
      { name: 'bin/hello', data: '#!/bin/sh\necho hello from layer two\n', mode: 0o755 },
      { name: 'data/link-to-b', type: 'link', linkname: 'data/b' },
    ],
    [
      { name: 'data/', type: 'directory' },
      { name: 'data/.wh.a', data: '' },
      { name: '.wh.gone', data: '' },
      { name: 'keep/', type: 'directory', mode: 0o750 },
      { name: 'keep/.wh..wh..opq', data: '' },
      { name: 'keep/new', data: 'fresh\n', uid: 1000, gid: 1000 },
    ],
  ]);
