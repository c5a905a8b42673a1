// Reading request bodies: a bounded collector, and the body of a request whose connection was
// upgraded (Node hands those over as a raw socket).
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { InvalidParameter, RequestTooLarge } from '../errdefs/index.js';

/**
 * Read exactly `length` body bytes from an upgraded socket, starting with `head` (what Node already
 * read); bytes past the body are returned as `rest` and the socket is left paused on what follows.
 */
export function readUpgradeBody(
  socket: Socket,
  head: Buffer,
  length: number,
): Promise<{ body: Buffer; rest: Buffer }> {
  if (head.length >= length) {
    return Promise.resolve({ body: head.subarray(0, length), rest: head.subarray(length) });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [head];
    let got = head.length;
    const cleanup = (): void => {
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      got += chunk.length;
      if (got < length) return;
      socket.pause();
      cleanup();
      const all = Buffer.concat(chunks);
      resolve({ body: all.subarray(0, length), rest: all.subarray(length) });
    };
    const onEnd = (): void => {
      cleanup();
      reject(new InvalidParameter('unexpected EOF while reading request body'));
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.resume();
  });
}

/** Collect a readable into one buffer, failing with RequestTooLarge past `limit` bytes. */
export function collect(src: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined, value?: Buffer): void => {
      if (settled) return;
      settled = true;
      src.removeListener('data', onData);
      src.removeListener('end', onEnd);
      src.removeListener('error', onError);
      src.removeListener('close', onClose);
      if (err) reject(err);
      else resolve(value ?? Buffer.alloc(0));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) finish(new RequestTooLarge());
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined, Buffer.concat(chunks));
    const onError = (err: Error): void =>
      finish(new InvalidParameter(`error reading request body: ${err.message}`));
    const onClose = (): void => finish(new InvalidParameter('unexpected EOF while reading request body'));
    src.on('data', onData);
    src.once('end', onEnd);
    src.once('error', onError);
    src.once('close', onClose);
  });
}
