// An uploaded archive (a request body): plain or gzip, told apart by its first bytes as moby does.
// moby also takes bzip2, xz and zstd (by running external programs); those are refused here.
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { invalid } from './errors.js';

const GZIP = Buffer.from([0x1f, 0x8b]);
const OTHER_COMPRESSION = [
  Buffer.from('BZh'), // bzip2
  Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), // xz
  Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), // zstd
];

interface Sink {
  write(chunk: Buffer): boolean;
  end(): void;
  once(event: 'drain', fn: () => void): unknown;
}

export interface Upload {
  /** The uncompressed tar. Fails with an InvalidArgument for unsupported compression or bad gzip,
   * and with an error when `input` closes before its end. */
  tar: Readable;
  /** Stops feeding `tar` and lets the rest of `input` flow away (so an HTTP server can still answer
   * the request after a refused entry). */
  detach(): void;
}

/** Reads `input` into an uncompressed tar stream, through gunzip when it starts with gzip's magic. */
export function openUpload(input: Readable): Upload {
  const tar = new PassThrough();
  const parser: Sink = {
    write: (chunk) => tar.write(chunk),
    end: () => tar.end(),
    once: (event, fn) => tar.once(event, fn),
  };
  const discard: Sink = { write: () => true, end: () => undefined, once: () => undefined };
  let gunzip: Gunzip | undefined;
  let sink: Sink | undefined;
  let head: Buffer[] = [];
  let headLength = 0;

  const choose = (start: Buffer): Sink => {
    if (start.subarray(0, 2).equals(GZIP)) {
      const gz = createGunzip();
      gunzip = gz;
      gz.on('data', (chunk: Buffer) => {
        if (!tar.write(chunk)) {
          gz.pause();
          tar.once('drain', () => gz.resume());
        }
      });
      gz.on('end', () => tar.end());
      gz.on('error', (err) => tar.destroy(invalid(`archive is not valid gzip: ${err.message}`)));
      return gz;
    }
    if (OTHER_COMPRESSION.some((m) => start.subarray(0, m.length).equals(m))) {
      tar.destroy(invalid('unsupported archive compression: send a plain or gzip-compressed tar'));
      return discard;
    }
    return parser;
  };
  const write = (s: Sink, chunk: Buffer): void => {
    if (!s.write(chunk)) {
      input.pause();
      s.once('drain', () => input.resume());
    }
  };
  const onData = (chunk: Buffer): void => {
    if (sink) return write(sink, chunk);
    head.push(chunk);
    headLength += chunk.length;
    if (headLength < 6) return;
    const start = Buffer.concat(head);
    head = [];
    sink = choose(start);
    write(sink, start);
  };
  const onEnd = (): void => {
    if (!sink) {
      const start = Buffer.concat(head);
      sink = choose(start);
      if (start.length > 0) sink.write(start);
    }
    sink.end();
  };
  const onError = (err: Error): void => {
    tar.destroy(err);
  };
  const onClose = (): void => {
    if (!input.readableEnded) tar.destroy(new Error('the archive upload ended early'));
  };
  input.on('data', onData);
  input.on('end', onEnd);
  input.on('error', onError);
  input.on('close', onClose);
  input.resume();
  return {
    tar,
    detach() {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.off('close', onClose);
      gunzip?.destroy();
      if (!input.readableEnded && !input.destroyed) input.resume();
    },
  };
}
