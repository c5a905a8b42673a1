// The client side of a task's stdio: FIFOs in a private directory, opened so that nothing blocks
// (readers first, non-blocking; the stdin writer once the shim has its end open).
import { execFile } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TaskIO {
  stdin: string;
  stdout: string;
  stderr: string;
  /** Copies our stdio to and from the FIFOs; resolves when output has ended. */
  attach(
    input: NodeJS.ReadableStream | undefined,
    out: NodeJS.WritableStream,
    err: NodeJS.WritableStream,
    onStdinEnd: () => void,
  ): Promise<void>;
  close(): void;
}

export async function makeFifos(id: string, withStdin: boolean): Promise<TaskIO> {
  const base = '/run/tsctr/fifo';
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(path.join(base, `${id}-`));
  const names = {
    stdin: withStdin ? path.join(dir, `${id}-stdin`) : '',
    stdout: path.join(dir, `${id}-stdout`),
    stderr: path.join(dir, `${id}-stderr`),
  };
  await run('mkfifo', ['-m', '0700', ...[names.stdin, names.stdout, names.stderr].filter(Boolean)]);
  const fds: number[] = [];
  const open = (p: string, flags: number) => {
    const fd = openSync(p, flags);
    fds.push(fd);
    return fd;
  };
  return {
    ...names,
    async attach(input, out, err, onStdinEnd) {
      const o = new net.Socket({
        fd: open(names.stdout, constants.O_RDONLY | constants.O_NONBLOCK),
        readable: true,
        writable: false,
      });
      const e = new net.Socket({
        fd: open(names.stderr, constants.O_RDONLY | constants.O_NONBLOCK),
        readable: true,
        writable: false,
      });
      o.pipe(out, { end: false });
      e.pipe(err, { end: false });
      if (names.stdin && input) {
        // The shim holds the read end open by now: opening for writing does not block.
        const w = new net.Socket({
          fd: open(names.stdin, constants.O_WRONLY | constants.O_NONBLOCK),
          readable: false,
          writable: true,
        });
        input.pipe(w);
        input.on('end', () => {
          w.end();
          onStdinEnd();
        });
      }
      await Promise.all([new Promise((r) => o.on('close', r)), new Promise((r) => e.on('close', r))]);
    },
    close() {
      for (const fd of fds.splice(0)) {
        try {
          closeSync(fd);
        } catch {
          // the socket owns it and closed it
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
