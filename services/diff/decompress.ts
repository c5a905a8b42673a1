// Layer blob → uncompressed tar stream. The media type says whether a layer may be compressed; what
// it is compressed with comes from the magic number (as in containerd, which sniffs every layer type
// but the plain OCI tar, so a gzip-typed blob that is really a plain tar still applies).
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { notImplemented } from '../../api/errdefs.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'sniff';

const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
const OCI_FOREIGN = 'application/vnd.oci.image.layer.nondistributable.v1.tar';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar';
const DOCKER_FOREIGN = 'application/vnd.docker.image.rootfs.foreign.diff.tar';
const ZSTD_PATH = '/usr/bin/zstd';

/** How a layer of this media type is compressed; notImplemented for types that are not layers. */
export function compressionOf(mediaType: string): Compression {
  const [base, ...ext] = mediaType.split('+');
  if (ext.includes('encrypted')) throw notImplemented(`encrypted layer media type ${mediaType}`);
  const last = ext[ext.length - 1];
  switch (base) {
    case OCI_LAYER:
    case OCI_FOREIGN:
      if (last === 'gzip') return 'gzip';
      if (last === 'zstd') return 'zstd';
      if (last === undefined) return 'none';
      return 'sniff';
    case DOCKER_LAYER:
    case DOCKER_FOREIGN:
      return 'sniff';
    case `${DOCKER_LAYER}.gzip`:
    case `${DOCKER_FOREIGN}.gzip`:
      return 'gzip';
  }
  if (
    base.startsWith('application/vnd.oci.image.layer.') ||
    base.startsWith('application/vnd.docker.image.rootfs.')
  ) {
    return 'sniff';
  }
  throw notImplemented(`unrecognised layer media type ${mediaType}`);
}

/** What the first bytes of a blob say it is. */
export function detectCompression(head: Buffer): 'none' | 'gzip' | 'zstd' {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  // zstd skippable frames (0x184D2A50..0x184D2A5F) may precede the first real frame.
  if (head.length >= 8 && (head.readUInt32LE(0) & 0xfffffff0) === 0x184d2a50) return 'zstd';
  return 'none';
}

/** The uncompressed tar inside `blob`. Throws notImplemented at once for an unsupported media type. */
export function decompressStream(blob: Readable, mediaType: string): Readable {
  const declared = compressionOf(mediaType);
  if (declared === 'none') return blob;
  return Readable.from(decode(blob), { objectMode: false, highWaterMark: 1 << 16 });
}

async function* decode(blob: Readable): AsyncGenerator<Buffer> {
  const source = blob[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  try {
    const head: Buffer[] = [];
    let len = 0;
    let ended = false;
    while (len < 8) {
      const r = await source.next();
      if (r.done) {
        ended = true;
        break;
      }
      const b = toBuffer(r.value);
      head.push(b);
      len += b.length;
    }
    const kind = detectCompression(Buffer.concat(head));
    const input = Readable.from(rejoin(head, ended ? undefined : source), { objectMode: false });
    if (kind === 'none') yield* iterate(input);
    else if (kind === 'gzip') yield* gunzip(input);
    else yield* unzstd(input);
  } finally {
    await source.return?.();
    blob.destroy();
  }
}

async function* rejoin(
  head: Buffer[],
  rest: AsyncIterator<Buffer | string> | undefined,
): AsyncGenerator<Buffer> {
  for (const b of head) yield b;
  if (!rest) return;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield toBuffer(r.value);
  }
}

async function* iterate(stream: Readable): AsyncGenerator<Buffer> {
  for await (const chunk of stream as AsyncIterable<Buffer | string>) yield toBuffer(chunk);
}

async function* gunzip(input: Readable): AsyncGenerator<Buffer> {
  // 128 KiB output chunks instead of zlib's 16 KiB: each chunk costs a trip through the async
  // iterators, the diff-id hash and the tar reader, so fewer, larger ones take less CPU and garbage.
  const z = createGunzip({ chunkSize: 1 << 17 });
  input.on('error', (e) => z.destroy(e));
  input.pipe(z);
  try {
    yield* iterate(z);
  } finally {
    input.destroy();
    z.destroy();
  }
}

async function* unzstd(input: Readable): AsyncGenerator<Buffer> {
  const child = spawn(ZSTD_PATH, ['-dc', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  exited.catch(() => undefined);
  // A broken pipe when zstd quits early is reported through its exit status instead.
  const feeding = pipeline(input, child.stdin).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw e;
  });
  feeding.catch(() => undefined);
  let finished = false;
  try {
    yield* iterate(child.stdout);
    await feeding;
    const code = await exited;
    if (code !== 0) {
      throw new Error(`zstd decompression failed (exit ${code}): ${Buffer.concat(stderr).toString().trim()}`);
    }
    finished = true;
  } finally {
    if (!finished) {
      input.destroy();
      child.kill('SIGKILL');
    }
  }
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}
