// Content digests: validation ("sha256:<64 hex>"), computing them, and a pass-through stream that checks
// a blob's size and digest as it flows (the caller's guard against a registry serving the wrong bytes).
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { dataLoss, invalidArgument } from '../../api/errdefs.js';

const encodedLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const algorithmRe = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/;

/** Throws InvalidArgument unless `digest` is "<algorithm>:<hex>" for a supported algorithm. */
export function validateDigest(digest: string): string {
  const i = digest.indexOf(':');
  if (i <= 0 || i === digest.length - 1) throw invalidArgument(`invalid digest format: "${digest}"`);
  const algorithm = digest.slice(0, i);
  const encoded = digest.slice(i + 1);
  if (!algorithmRe.test(algorithm)) throw invalidArgument(`invalid digest format: "${digest}"`);
  const length = encodedLength[algorithm];
  if (length === undefined) throw invalidArgument(`unsupported digest algorithm: "${digest}"`);
  if (encoded.length !== length || !/^[a-f0-9]+$/.test(encoded)) {
    throw invalidArgument(`invalid checksum digest format: "${digest}"`);
  }
  return digest;
}

export function isValidDigest(digest: string): boolean {
  try {
    validateDigest(digest);
    return true;
  } catch {
    return false;
  }
}

/** The algorithm part of a validated digest ("sha256"). */
export function digestAlgorithm(digest: string): string {
  return validateDigest(digest).slice(0, digest.indexOf(':'));
}

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface Expected {
  digest: string;
  size: number;
}

/** Throws DataLoss when `data` is not the blob `expected` describes. */
export function verifyBuffer(expected: Expected, data: Buffer): Buffer {
  if (data.length !== expected.size) {
    throw dataLoss(`${expected.digest}: got ${data.length} bytes, expected ${expected.size}`);
  }
  const actual = `${digestAlgorithm(expected.digest)}:${createHash(digestAlgorithm(expected.digest)).update(data).digest('hex')}`;
  if (actual !== expected.digest)
    throw dataLoss(`digest mismatch: got ${actual}, expected ${expected.digest}`);
  return data;
}

/**
 * A pass-through stream that errors (DataLoss) if more than `size` bytes flow, or, at the end, if the size
 * or digest differ. Give `offset` and `seed` (the bytes before offset) when the stream resumes mid-blob; with
 * an offset and no seed (or with checkDigest false) only the size is checked.
 */
export class VerifyingStream extends Transform {
  private hash: Hash | undefined;
  private seen: number;

  constructor(
    private readonly expected: Expected,
    options: { offset?: number; seed?: Buffer; checkDigest?: boolean } = {},
  ) {
    super();
    const offset = options.offset ?? 0;
    this.seen = offset;
    if (options.checkDigest !== false && (offset === 0 || options.seed)) {
      this.hash = createHash(digestAlgorithm(expected.digest));
      if (options.seed) {
        if (options.seed.length !== offset) throw invalidArgument('seed length must equal offset');
        this.hash.update(options.seed);
      }
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expected.size) {
      done(dataLoss(`${this.expected.digest}: more than the expected ${this.expected.size} bytes`));
      return;
    }
    this.hash?.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.seen !== this.expected.size) {
      done(dataLoss(`${this.expected.digest}: stream ended at ${this.seen} of ${this.expected.size} bytes`));
      return;
    }
    if (this.hash) {
      const actual = `${digestAlgorithm(this.expected.digest)}:${this.hash.digest('hex')}`;
      if (actual !== this.expected.digest) {
        done(dataLoss(`digest mismatch: got ${actual}, expected ${this.expected.digest}`));
        return;
      }
    }
    done();
  }
}
