// The stdio of one run of a container (or of one exec): FIFOs in the exec root that the shim hands
// to the process, read here without blocking and fanned out to the json-file log and to every
// attached client; stdin written by whichever client attached with stdin.
import { constants, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { mkfifo } from '../../pkg/sys/mknod.js';

export type StreamKind = 'stdout' | 'stderr';
export type Subscriber = (stream: StreamKind, chunk: Buffer) => void;

export interface FifoPaths {
  stdin: string;
  stdout: string;
  stderr: string;
}

/** Makes (or finds, after a restart) the FIFOs of process `name` in `dir`. */
export async function makeFifos(
  dir: string,
  name: string,
  o: { stdin: boolean; tty: boolean },
): Promise<FifoPaths> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p: FifoPaths = {
    stdin: o.stdin ? path.join(dir, `${name}-stdin`) : '',
    stdout: path.join(dir, `${name}-stdout`),
    stderr: o.tty ? '' : path.join(dir, `${name}-stderr`),
  };
  for (const f of [p.stdin, p.stdout, p.stderr]) if (f && !existsSync(f)) mkfifo(f, 0o600);
  return p;
}

export function removeFifos(p: FifoPaths): void {
  for (const f of [p.stdin, p.stdout, p.stderr]) if (f) rmSync(f, { force: true });
}

export class RunIO {
  private readonly subs = new Set<Subscriber>();
  private readonly readers: net.Socket[] = [];
  private stdinSock: net.Socket | undefined;
  private stdinClosed = false;
  /** Resolves when stdout and stderr have both reached EOF (every writer in the container is gone). */
  readonly ended: Promise<void>;
  private endedResolve!: () => void;
  isEnded = false;

  constructor(
    readonly fifos: FifoPaths,
    private readonly onCloseStdin: () => Promise<void> = async () => undefined,
  ) {
    this.ended = new Promise((r) => (this.endedResolve = r));
  }

  /** Opens the read ends (before the task exists: a non-blocking read open never waits for a writer). */
  openOutput(): void {
    const streams: Array<[StreamKind, string]> = [['stdout', this.fifos.stdout]];
    if (this.fifos.stderr) streams.push(['stderr', this.fifos.stderr]);
    let open = streams.length;
    for (const [kind, file] of streams) {
      const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
      const s = new net.Socket({ fd, readable: true, writable: false });
      s.on('data', (b: Buffer) => {
        for (const fn of this.subs) fn(kind, b);
      });
      s.on('error', () => undefined);
      s.on('close', () => {
        if (--open === 0) {
          this.isEnded = true;
          this.endedResolve();
        }
      });
      this.readers.push(s);
    }
  }

  /** Opens our write end of stdin (once the shim holds its read end, so the open does not block). */
  openStdin(): void {
    if (!this.fifos.stdin || this.stdinSock) return;
    const fd = openSync(this.fifos.stdin, constants.O_WRONLY | constants.O_NONBLOCK);
    this.stdinSock = new net.Socket({ fd, readable: false, writable: true });
    this.stdinSock.on('error', () => undefined);
  }

  get hasStdin(): boolean {
    return this.stdinSock !== undefined && !this.stdinClosed;
  }

  writeStdin(b: Buffer): void {
    if (!this.stdinClosed) this.stdinSock?.write(b);
  }

  /** No more input: what was written still reaches the process, then it reads EOF. */
  closeStdin(): void {
    if (this.stdinClosed) return;
    this.stdinClosed = true;
    const s = this.stdinSock;
    if (!s) {
      void this.onCloseStdin().catch(() => undefined);
      return;
    }
    s.end(() => void this.onCloseStdin().catch(() => undefined));
  }

  subscribe(fn: Subscriber): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }

  /** Stops reading (the run is over, or we are shutting down). */
  close(): void {
    for (const r of this.readers.splice(0)) r.destroy();
    this.stdinSock?.destroy();
    if (!this.isEnded) {
      this.isEnded = true;
      this.endedResolve();
    }
  }
}
