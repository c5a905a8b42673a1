// CRI container logs: a container's stdout/stderr FIFOs (the shim holds their write ends) copied line by
// line into log_path as `<RFC3339Nano> <stream> <F|P> <text>`. A line longer than the buffer is split
// into P(artial) records ended by an F(ull) one. ReopenContainerLog swaps the file under the copier.
import { constants, openSync, promises as fs } from 'node:fs';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { mkfifo } from '../../pkg/sys/mknod.js';

const MAX_LINE = 16 * 1024;

/** RFC 3339 with nanoseconds, UTC (Go's time.RFC3339Nano drops trailing zeros; kubelet parses either). */
export function rfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);

/** Emits 'data' (stream, chunk) for attached clients, besides writing the log file (when there is one). */
export class ContainerLog extends EventEmitter {
  private fh: fs.FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly sockets: net.Socket[] = [];
  private pending = 0;
  private done: Promise<void>;
  private resolveDone!: () => void;

  constructor(readonly logPath: string) {
    super();
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  async open(): Promise<void> {
    if (!this.logPath) return;
    await fs.mkdir(path.dirname(this.logPath), { recursive: true });
    this.fh = await fs.open(this.logPath, 'a', 0o640);
  }

  private write(text: string): void {
    this.chain = this.chain.then(async () => {
      if (this.fh) await this.fh.write(text);
    });
  }

  /** Starts copying from one FIFO (opened non-blocking for reading). */
  follow(fifo: string, stream: 'stdout' | 'stderr'): void {
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const s = new net.Socket({ fd, readable: true, writable: false });
    this.sockets.push(s);
    this.pending++;
    let buf = Buffer.alloc(0);
    const emit = (line: Buffer, tag: 'F' | 'P') =>
      this.write(`${rfc3339Nano(nowNs())} ${stream} ${tag} ${line.toString('utf8')}\n`);
    s.on('data', (d: Buffer) => {
      this.emit('data', stream, d);
      if (!this.logPath) return;
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const nl = buf.indexOf(0x0a);
        if (nl === -1) break;
        emit(buf.subarray(0, nl > 0 && buf[nl - 1] === 0x0d ? nl - 1 : nl), 'F');
        buf = buf.subarray(nl + 1);
      }
      while (buf.length >= MAX_LINE) {
        emit(buf.subarray(0, MAX_LINE), 'P');
        buf = buf.subarray(MAX_LINE);
      }
    });
    const end = () => {
      this.emit('end', stream);
      if (buf.length > 0) emit(buf, 'F');
      buf = Buffer.alloc(0);
      if (--this.pending === 0) void this.chain.then(() => this.resolveDone());
    };
    s.once('end', end);
    s.once('error', end);
  }

  /** Resolves when every followed FIFO reached EOF and its text is written. */
  drained(): Promise<void> {
    return this.pending === 0 ? this.chain : this.done;
  }

  async reopen(): Promise<void> {
    if (!this.logPath) return;
    this.chain = this.chain.then(async () => {
      await this.fh?.close();
      await fs.mkdir(path.dirname(this.logPath), { recursive: true });
      this.fh = await fs.open(this.logPath, 'a', 0o640);
    });
    await this.chain;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await this.chain;
    await this.fh?.close();
    this.fh = undefined;
  }
}

/** mkfifo for a container's stdio (an existing FIFO is fine: a restart re-creates nothing). */
export async function makeFifo(file: string): Promise<void> {
  try {
    mkfifo(file, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}
