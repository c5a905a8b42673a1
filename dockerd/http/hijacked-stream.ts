// A hijacked connection (attach, exec start): the raw socket as a duplex stream with half-close,
// and the way errors are told on it.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { writeTo } from '../wire/stdcopy.js';

export const RAW_STREAM = 'application/vnd.docker.raw-stream';

const LINGER_MS = 5000;

/**
 * A hijacked connection. Readable side: stdin from the client ('end' = the client half-closed).
 * Writable side: raw output; end() flushes, sends FIN and closes the connection shortly after.
 * Socket errors destroy the stream; an 'error' listener is preinstalled so they never crash.
 */
export class HijackedStream extends Duplex {
  readonly socket: Socket;
  private header: string | undefined;
  private readonly readsSocket: boolean;
  private linger: NodeJS.Timeout | undefined;

  constructor(socket: Socket, opts: { header: string; leftover?: Buffer; readable: boolean }) {
    super({ allowHalfOpen: true });
    this.socket = socket;
    this.header = opts.header;
    this.readsSocket = opts.readable;
    this.on('error', () => undefined);
    socket.setTimeout(0);
    if (opts.readable) {
      if (opts.leftover && opts.leftover.length) this.push(opts.leftover);
      socket.on('data', this.onData);
      socket.on('end', this.onEnd);
    } else {
      this.push(null);
    }
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  /** True once the 101/200 head went out. */
  get headerSent(): boolean {
    return this.header === undefined;
  }

  /** Write the pending head now (no-op if already sent). */
  sendHeader(): void {
    if (this.header === undefined) return;
    const head = this.header;
    this.header = undefined;
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(head);
  }

  /** Replace a head that has not gone out yet (used by hijackError). */
  replaceHeader(head: string): void {
    if (this.header !== undefined) this.header = head;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (!this.push(chunk)) this.socket.pause();
  };

  private readonly onEnd = (): void => {
    this.push(null);
  };

  private readonly onClose = (): void => {
    if (!this.readableEnded) this.push(null);
    if (!this.destroyed) this.destroy();
  };

  private readonly onError = (err: Error): void => {
    if (!this.destroyed) this.destroy(err);
  };

  override _read(): void {
    if (this.readsSocket && !this.socket.destroyed) this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.sendHeader();
    writeTo(this.socket, chunk, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.sendHeader();
    const socket = this.socket;
    if (socket.destroyed) {
      cb();
      return;
    }
    if (this.readsSocket) {
      // Output is over: drop further input so the client's FIN is seen and the socket can close.
      socket.removeListener('data', this.onData);
      socket.on('data', () => undefined);
      if (!this.readableEnded) this.push(null);
      socket.resume();
    }
    // Finish only once everything is flushed: finishing lets the stream auto-destroy the socket.
    socket.end(() => {
      this.linger = setTimeout(() => socket.destroy(), LINGER_MS);
      this.linger.unref();
      cb();
    });
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.linger) clearTimeout(this.linger);
    this.socket.removeListener('data', this.onData);
    this.socket.removeListener('end', this.onEnd);
    this.socket.removeListener('close', this.onClose);
    this.socket.removeListener('error', this.onError);
    this.socket.on('error', () => undefined);
    if (!this.socket.destroyed) this.socket.destroy();
    cb(err);
  }
}

/**
 * Report an error on a hijacked connection and close it. If the stream head has not gone out (plain
 * socket, or hijack({deferHeader:true}) before any write) this sends a real status line, as moby does:
 * `HTTP/1.1 <code> <text>`, raw-stream type, then the message; otherwise the message is written into
 * the stream followed by `\r\n`.
 */
export function hijackError(target: HijackedStream | Socket, status: number, message: string): void {
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: ${RAW_STREAM}\r\n\r\n`;
  try {
    if (target instanceof HijackedStream) {
      if (target.headerSent) {
        target.end(`${message}\r\n`);
      } else {
        target.replaceHeader(`${head}${message}\r\n`);
        target.end();
      }
    } else if (!target.destroyed) {
      target.end(`${head}${message}\r\n`);
    }
  } catch {
    // Nothing more can be told to this client.
  }
}
