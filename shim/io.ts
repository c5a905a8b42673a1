// The client's stdio FIFOs, the way a shim must open them: never blocking on open, never failing a
// write because a reader left. stdout/stderr are opened read-write and handed to the process
// directly (no copying); we keep our read-write ends until the process exits, so a reader that goes
// away (a daemon restarting) never turns the container's writes into EPIPE; stdin is copied from the FIFO into a pipe, so the process sees EOF only
// when the client says CloseIO.
import { closeSync, constants, openSync } from 'node:fs';
import net from 'node:net';
import tty from 'node:tty';
import { dup, pipe } from '../pkg/sys/process.js';

export interface ProcessIO {
  /** Descriptors for the process's 0, 1, 2 ('ignore' = /dev/null). */
  stdio: Array<number | 'ignore'>;
  /** Our ends to close once the process holds its own. */
  afterStart(): void;
  /** The process is gone: let readers see EOF once its last writer (a lingering child) closes too. */
  afterExit(): void;
  closeStdin(): void;
  close(): void;
}

function openFifo(path: string): number {
  return openSync(path.replace(/^fifo:\/\//, ''), constants.O_RDWR | constants.O_NONBLOCK);
}

/**
 * The client's stdin FIFO as a stream. A FIFO read with no writer yet returns EOF at once, and the
 * client opens its end a moment after us: hold a read-write "keeper" until the first bytes show a
 * writer is there, then let the writer's close arrive as EOF. `dropKeeper` (CloseIO) ends it anyway.
 */
function stdinFifo(stdin: string): { fifo: net.Socket; dropKeeper: () => void } {
  const path = stdin.replace(/^fifo:\/\//, '');
  let keeper: number | undefined = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  const dropKeeper = () => {
    if (keeper !== undefined) closeSync(keeper);
    keeper = undefined;
  };
  const fifo = new net.Socket({
    fd: openSync(path, constants.O_RDONLY | constants.O_NONBLOCK),
    readable: true,
    writable: false,
  });
  fifo.once('data', dropKeeper);
  fifo.on('close', dropKeeper);
  return { fifo, dropKeeper };
}

export function openIO(stdin: string, stdout: string, stderr: string): ProcessIO {
  const mine: number[] = [];
  const passOnly: number[] = [];
  let stdinCopy: { fifo: net.Socket; sink: net.Socket; dropKeeper: () => void } | undefined;
  const out = stdout ? openFifo(stdout) : undefined;
  const err = stderr ? (stderr === stdout ? out : openFifo(stderr)) : undefined;
  // Held until exit: while they are open a FIFO always has a reader, so writes never fail.
  if (out !== undefined) mine.push(out);
  if (err !== undefined && err !== out) mine.push(err);
  let inRead: number | undefined;
  if (stdin) {
    const [r, w] = pipe();
    inRead = r;
    passOnly.push(r);
    const { fifo, dropKeeper } = stdinFifo(stdin);
    const sink = new net.Socket({ fd: w, readable: false, writable: true });
    fifo.pipe(sink);
    sink.on('error', () => fifo.destroy());
    fifo.on('error', () => sink.end());
    stdinCopy = { fifo, sink, dropKeeper };
  }
  return {
    stdio: [inRead ?? 'ignore', out ?? 'ignore', err ?? 'ignore'],
    afterStart() {
      for (const fd of passOnly.splice(0)) closeSync(fd);
    },
    afterExit() {
      for (const fd of mine.splice(0)) closeSync(fd);
    },
    /** No more input: what the client already wrote still reaches the process, then EOF. */
    closeStdin() {
      stdinCopy?.dropKeeper();
    },
    close() {
      for (const fd of [...passOnly.splice(0), ...mine.splice(0)]) {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
      }
      if (stdinCopy) {
        stdinCopy.dropKeeper();
        stdinCopy.fifo.destroy();
        stdinCopy.sink.destroy();
      }
    },
  };
}

/**
 * A terminal: the pty master's output goes to the stdout FIFO; stdin FIFO bytes are written to the
 * master (through a dup, so reading and writing use separate handles).
 */
export function openTerminalIO(master: number, stdin: string, stdout: string): ProcessIO {
  const writeFd = dup(master);
  const input = new tty.ReadStream(master);
  const toMaster = new tty.WriteStream(writeFd);
  toMaster.on('error', () => undefined);
  const out = stdout ? new net.Socket({ fd: openFifo(stdout), readable: false, writable: true }) : undefined;
  out?.on('error', () => undefined);
  // EIO once the last slave closes: the end of output, which the client must see as EOF.
  input.on('error', () => out?.end());
  input.on('end', () => out?.end());
  if (out) input.pipe(out);
  else input.resume();
  let stdinCopy: { fifo: net.Socket; dropKeeper: () => void } | undefined;
  if (stdin) {
    const { fifo, dropKeeper } = stdinFifo(stdin);
    fifo.on('data', (b: Buffer) => toMaster.write(b));
    fifo.on('error', () => undefined);
    stdinCopy = { fifo, dropKeeper };
  }
  return {
    stdio: ['ignore', 'ignore', 'ignore'],
    afterStart() {},
    afterExit() {},
    closeStdin() {
      stdinCopy?.dropKeeper();
    },
    close() {
      stdinCopy?.dropKeeper();
      stdinCopy?.fifo.destroy();
      input.destroy();
      toMaster.destroy();
      out?.end();
    },
  };
}
