// tsctr-shim's three modes, by the shim v2 convention:
//   start   (run by the daemon in the bundle dir) — launches the long-lived shim, prints its address
//   serve   (internal) — the shim itself: subreaper, ttrpc Task service, reaps and reports exits
//   delete  (run by the daemon when a shim died) — cleans up the container and reports it stopped
import { execFile, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DeleteResponse, TaskService } from '../api/gen/containerd/runtime/task/v2/shim.js';
import { TtrpcServer } from '../api/ttrpc/index.js';
import { EventForwarder } from './events.js';
import { Runc } from './runc.js';
import { ShimTask } from './service.js';
import { sha256Hex } from './sha256.js';
import { dup2, setSubreaper } from '../pkg/sys/process.js';

export interface ShimArgs {
  namespace: string;
  address: string;
  publishBinary: string;
  id: string;
  bundle: string;
  debug: boolean;
  action: string;
}

export function parseShimArgs(argv: string[]): ShimArgs {
  const a: ShimArgs = {
    namespace: '',
    address: '',
    publishBinary: '',
    id: '',
    bundle: process.cwd(),
    debug: false,
    action: '',
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--?/, '');
    if (k === 'debug') a.debug = true;
    else if (k === 'namespace') a.namespace = argv[++i];
    else if (k === 'address') a.address = argv[++i];
    else if (k === 'publish-binary') a.publishBinary = argv[++i];
    else if (k === 'id') a.id = argv[++i];
    else if (k === 'bundle') a.bundle = argv[++i];
    else if (!argv[i].startsWith('-')) a.action = argv[i];
  }
  return a;
}

const socketDir = () => process.env.TSCTR_SHIM_SOCKET_DIR || '/run/tsctr/s';
const runcRoot = (ns: string) => path.join(process.env.TSCTR_RUNC_ROOT || '/run/tsctr/runc', ns);

function socketPath(a: ShimArgs): string {
  return path.join(socketDir(), sha256Hex(`${a.address}/${a.namespace}/${a.id}`).slice(0, 32));
}

function answers(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(p);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export async function start(a: ShimArgs): Promise<void> {
  const sock = socketPath(a);
  const addressFile = path.join(a.bundle, 'address');
  if (existsSync(addressFile) && (await answers(sock))) {
    process.stdout.write(readFileSync(addressFile, 'utf8'));
    return;
  }
  const log = openSync(path.join(a.bundle, 'shim.log'), 'a');
  const args = process.argv.slice(1).filter((x) => x !== 'start');
  const child = spawn(process.execPath, [...process.execArgv, ...args, 'serve'], {
    cwd: a.bundle,
    detached: true,
    stdio: ['ignore', log, log, 'pipe'],
    env: process.env,
  });
  closeSync(log);
  const ready = await new Promise<string>((resolve, reject) => {
    let got = '';
    const t = setTimeout(() => reject(new Error('shim did not become ready in 10 s')), 10_000);
    child.stdio[3]!.on('data', (b: Buffer) => {
      got += b;
      if (got.includes('\n')) {
        clearTimeout(t);
        resolve(got.trim());
      }
    });
    child.once('exit', (code) =>
      reject(
        new Error(`shim exited with ${code} before it was ready; see ${path.join(a.bundle, 'shim.log')}`),
      ),
    );
  });
  child.unref();
  (child.stdio[3] as net.Socket).destroy();
  process.stdout.write(ready);
}

export async function serve(a: ShimArgs, ready?: (address: string) => void): Promise<void> {
  setSubreaper();
  const sock = socketPath(a);
  mkdirSync(path.dirname(sock), { recursive: true, mode: 0o711 });
  const events = new EventForwarder(process.env.TTRPC_ADDRESS ?? '', a.namespace);
  const server = new TtrpcServer();
  const shutdown = async () => {
    await events.drain();
    await server.close({ timeoutMs: 1000 }).catch(() => undefined);
    process.exit(0);
  };
  const task = new ShimTask({
    id: a.id,
    socketDir: path.dirname(sock),
    namespace: a.namespace,
    bundle: a.bundle,
    runcBinary: process.env.TSCTR_RUNC || 'runc',
    runcRoot: runcRoot(a.namespace),
    events,
    shutdown: () => void shutdown(),
  });
  server.registerService(TaskService, task.service());
  process.on('SIGCHLD', () => task.checkExits());
  setInterval(() => {
    task.checkExits();
    task.checkOom();
  }, 1000).unref();
  process.on('SIGTERM', () => void shutdown());
  await server.listen(sock, { mode: 0o600 });
  const address = `unix://${sock}`;
  const tmp = path.join(a.bundle, 'address.tmp');
  writeFileSync(tmp, address);
  renameSync(tmp, path.join(a.bundle, 'address'));
  // Tell `start` we are up (fd 3 is its pipe), then let go of it.
  if (ready) {
    ready(address);
    return;
  }
  try {
    writeSync(3, `${address}\n`);
    closeSync(3);
  } catch {
    // started by hand, without the pipe
  }
}

/**
 * A spare shim: started ahead of need with its code loaded, it waits on fd 3 for the task it is to
 * serve ({"namespace","id","bundle"} as one JSON line), moves into the bundle, sends its stdout and
 * stderr to the bundle's shim.log, and serves as if started for it. It exits if the daemon that made
 * it goes away first (EOF on fd 3).
 */
export async function spare(a: ShimArgs): Promise<void> {
  const pipe = new net.Socket({ fd: 3, readable: true, writable: true });
  const line = await new Promise<string>((resolve) => {
    let got = '';
    pipe.on('data', (b: Buffer) => {
      got += b.toString();
      if (got.includes('\n')) resolve(got.slice(0, got.indexOf('\n')));
    });
    pipe.on('end', () => process.exit(0));
    pipe.on('error', () => process.exit(0));
  });
  pipe.removeAllListeners('end');
  pipe.removeAllListeners('error');
  pipe.on('error', () => undefined);
  pipe.on('end', () => undefined);
  const job = JSON.parse(line) as { namespace: string; id: string; bundle: string };
  // Booted at low priority; the container (runc and its processes inherit this) must not be.
  os.setPriority(0);
  process.chdir(job.bundle);
  const log = openSync(path.join(job.bundle, 'shim.log'), 'a');
  dup2(log, 1);
  dup2(log, 2);
  closeSync(log);
  await serve(
    { ...a, namespace: job.namespace, id: job.id, bundle: job.bundle, action: 'serve' },
    (address) => pipe.end(`${address}\n`, () => pipe.destroy()),
  );
}

/** Cleanup after a dead shim: force-delete the container, unmount, report its last exit. */
export async function del(a: ShimArgs): Promise<void> {
  const runc = new Runc({
    binary: process.env.TSCTR_RUNC || 'runc',
    root: runcRoot(a.namespace),
    bundle: a.bundle,
    id: a.id,
  });
  await runc.delete(true).catch(() => undefined);
  await new Promise((r) => execFile('umount', ['-l', path.join(a.bundle, 'rootfs')], () => r(undefined)));
  const exit = ShimTask.lastExit(a.bundle);
  const at = exit?.at ?? BigInt(Date.now()) * 1_000_000n;
  const resp = DeleteResponse.encode({
    pid: 0,
    exitStatus: exit?.status ?? 137,
    exitedAt: { seconds: Number(at / 1_000_000_000n), nanos: Number(at % 1_000_000_000n) },
  }).finish();
  process.stdout.write(resp);
}
