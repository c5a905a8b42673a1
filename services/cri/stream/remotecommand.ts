// Kubernetes remotecommand v4 over a SPDY session: stdin/stdout/stderr streams copied to and from a
// process's FIFOs, "resize" carrying {"Width","Height"} JSON objects, and the outcome written to the
// "error" stream as a metav1.Status (Success, or Failure with the exit code as a cause).
import { constants, openSync } from 'node:fs';
import net from 'node:net';
import type { Session } from './server.js';
import type { SpdyStream } from './spdy.js';

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export function status(exitCode: number | undefined, message?: string): Buffer {
  if (message !== undefined)
    return Buffer.from(JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError' }));
  if (!exitCode) return Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' }));
  return Buffer.from(
    JSON.stringify({
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: exit status ${exitCode}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
    }),
  );
}

/** The stream types the client opens for these options (k8s: no stderr stream with a TTY). */
export function expectedStreams(o: StreamOptions): string[] {
  return [
    'error',
    ...(o.stdin ? ['stdin'] : []),
    ...(o.stdout ? ['stdout'] : []),
    ...(o.stderr && !o.tty ? ['stderr'] : []),
    ...(o.tty ? ['resize'] : []),
  ];
}

/** Calls `fn(width, height)` for each resize message (JSON objects, possibly split or joined). */
export function onResize(s: SpdyStream | undefined, fn: (w: number, h: number) => void): void {
  if (!s) return;
  let buf = '';
  s.incoming.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    for (;;) {
      const end = buf.indexOf('}');
      if (end === -1) break;
      const obj = buf.slice(0, end + 1);
      buf = buf.slice(end + 1);
      try {
        const m = JSON.parse(obj.slice(obj.indexOf('{'))) as { Width?: number; Height?: number };
        if (m.Width && m.Height) fn(m.Width, m.Height);
      } catch {
        // not a size message
      }
    }
  });
}

/** Reads a FIFO (non-blocking) into a SPDY stream; resolves at EOF. */
export function fifoToStream(
  fifo: string,
  s: SpdyStream | undefined,
): { done: Promise<void>; socket: net.Socket } {
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const socket = new net.Socket({ fd, readable: true, writable: false });
  const done = new Promise<void>((resolve) => {
    socket.on('data', (d: Buffer) => s?.write(d));
    socket.once('end', () => resolve());
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
  });
  return { done, socket };
}

/** Copies a SPDY stream into a FIFO whose reader is already open; `onEnd` when the client closes stdin. */
export function streamToFifo(
  s: SpdyStream | undefined,
  fifo: string,
  onEnd: () => void,
): net.Socket | undefined {
  if (!s) return undefined;
  const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  const w = new net.Socket({ fd, readable: false, writable: true });
  w.on('error', () => undefined);
  s.incoming.on('data', (d: Buffer) => w.write(d));
  s.incoming.once('end', () => {
    w.end();
    onEnd();
  });
  return w;
}

export type { Session };
