// ExecSync: one process in a running container, its output collected through FIFOs, killed when the
// timeout passes (the caller then gets DeadlineExceeded, as from containerd).
import { randomBytes } from 'node:crypto';
import { constants, openSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { invalidArgument, TsctrError } from '../../api/errdefs.js';
import { CRI_NS } from './images.js';
import { makeFifo } from './logs.js';
import type { Tasking } from './tasking.js';

const PROCESS_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process';
const MAX_OUTPUT = 16 << 20;

function collect(file: string): { done: Promise<Buffer>; socket: net.Socket } {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  const socket = new net.Socket({ fd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  let size = 0;
  const done = new Promise<Buffer>((resolve) => {
    socket.on('data', (d: Buffer) => {
      if (size < MAX_OUTPUT) chunks.push(d);
      size += d.length;
    });
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('close', () => resolve(Buffer.concat(chunks)));
    socket.once('error', () => resolve(Buffer.concat(chunks)));
  });
  return { done, socket };
}

export async function execSync(
  t: Tasking,
  /** The container's own stdio directory (the exec's FIFOs go beside its). */
  ioDir: string,
  id: string,
  cmd: string[],
  timeoutSec: number,
): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }> {
  if (cmd.length === 0) throw invalidArgument('ExecSync: cmd must not be empty');
  const spec = await t.spec(id);
  const proc = { ...spec.process, args: cmd, terminal: false };
  const execId = `exec-${randomBytes(8).toString('hex')}`;
  const out = path.join(ioDir, `${execId}-stdout`);
  const err = path.join(ioDir, `${execId}-stderr`);
  await makeFifo(out);
  await makeFifo(err);
  const o = collect(out);
  const e = collect(err);
  try {
    await t.tasks.exec(CRI_NS, id, execId, {
      stdin: '',
      stdout: out,
      stderr: err,
      terminal: false,
      spec: { typeUrl: PROCESS_TYPE_URL, value: Buffer.from(JSON.stringify(proc)) },
    });
    const exited = t.tasks.wait(CRI_NS, id, execId);
    await t.tasks.start(CRI_NS, id, execId);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      if (timeoutSec > 0) timer = setTimeout(() => r('timeout'), timeoutSec * 1000);
    });
    const r = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (r === 'timeout') {
      await t.tasks.kill(CRI_NS, id, execId, 9, false).catch(() => undefined);
      await exited.catch(() => undefined);
      throw new TsctrError(
        'DeadlineExceeded',
        `command ${JSON.stringify(cmd)} timed out after ${timeoutSec}s`,
      );
    }
    const grace = (p: Promise<Buffer>, s: net.Socket) =>
      Promise.race([
        p,
        new Promise<Buffer>((res) => setTimeout(() => (s.destroy(), res(Buffer.alloc(0))), 2000)),
      ]);
    const [stdout, stderr] = await Promise.all([grace(o.done, o.socket), grace(e.done, e.socket)]);
    return { stdout, stderr, exitCode: r.exitStatus };
  } finally {
    o.socket.destroy();
    e.socket.destroy();
    await t.tasks.deleteProcess(CRI_NS, id, execId).catch(() => undefined);
    await Promise.all([fs.rm(out, { force: true }), fs.rm(err, { force: true })]);
  }
}
