// What each streaming URL does once its SPDY session is up: exec a process with the client's stdio,
// attach to a running container's stdio, or forward TCP connections to ports inside a pod's netns.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { withNetns } from '../../../pkg/sys/netns-file.js';
import type { Containers } from '../containers.js';
import { CRI_NS } from '../images.js';
import { makeFifo } from '../logs.js';
import type { Tasking } from '../tasking.js';
import {
  type StreamOptions,
  expectedStreams,
  fifoToStream,
  onResize,
  status,
  streamToFifo,
} from './remotecommand.js';
import type { Handler } from './server.js';
import type { SpdyStream } from './spdy.js';

const PROCESS_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function execHandler(
  t: Tasking,
  ioRoot: string,
  id: string,
  cmd: string[],
  o: StreamOptions,
): Handler {
  return async (s) => {
    await s.waitFor(expectedStreams(o));
    const spec = await t.spec(id);
    const execId = `exec-${randomBytes(8).toString('hex')}`;
    const dir = path.join(ioRoot, `${id.slice(0, 12)}-${execId}`);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const f = {
      stdin: path.join(dir, 'stdin'),
      stdout: path.join(dir, 'stdout'),
      stderr: path.join(dir, 'stderr'),
    };
    const useErr = o.stderr && !o.tty;
    for (const [k, on] of [
      ['stdin', o.stdin],
      ['stdout', o.stdout],
      ['stderr', useErr],
    ] as const)
      if (on) await makeFifo(f[k]);
    const out = o.stdout ? fifoToStream(f.stdout, s.streams.get('stdout')) : undefined;
    const err = useErr ? fifoToStream(f.stderr, s.streams.get('stderr')) : undefined;
    let stdin: net.Socket | undefined;
    try {
      await t.tasks.exec(CRI_NS, id, execId, {
        stdin: o.stdin ? f.stdin : '',
        stdout: o.stdout ? f.stdout : '',
        stderr: useErr ? f.stderr : '',
        terminal: o.tty,
        spec: {
          typeUrl: PROCESS_TYPE_URL,
          value: Buffer.from(JSON.stringify({ ...spec.process, args: cmd, terminal: o.tty })),
        },
      });
      const exited = t.tasks.wait(CRI_NS, id, execId);
      if (o.stdin)
        stdin = streamToFifo(s.streams.get('stdin'), f.stdin, () => {
          void t.tasks.closeIO(CRI_NS, id, execId, true).catch(() => undefined);
        });
      onResize(
        s.streams.get('resize'),
        (w, h) => void t.tasks.resize(CRI_NS, id, execId, w, h).catch(() => undefined),
      );
      await t.tasks.start(CRI_NS, id, execId);
      const gone = new Promise<'gone'>((r) => s.spdy.once('close', () => r('gone')));
      const r = await Promise.race([exited, gone]);
      if (r === 'gone') {
        await t.tasks.kill(CRI_NS, id, execId, 9, false).catch(() => undefined);
        await exited.catch(() => undefined);
        return;
      }
      await Promise.race([Promise.all([out?.done, err?.done]), sleep(2000)]);
      s.streams.get('stdout')?.end();
      s.streams.get('stderr')?.end();
      s.streams.get('error')?.end(status(r.exitStatus));
    } finally {
      out?.socket.destroy();
      err?.socket.destroy();
      stdin?.destroy();
      await t.tasks.deleteProcess(CRI_NS, id, execId).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
  };
}

export function attachHandler(t: Tasking, ctrs: Containers, id: string, o: StreamOptions): Handler {
  return async (s) => {
    await s.waitFor(expectedStreams(o));
    const rec = ctrs.get(id);
    const log = ctrs.output(rec.id);
    if (!log || rec.state !== 'running') {
      s.streams.get('error')?.end(status(undefined, `container ${rec.id} is not running`));
      return;
    }
    const onData = (stream: string, d: Buffer) => {
      if (stream === 'stdout' && o.stdout) s.streams.get('stdout')?.write(d);
      if (stream === 'stderr' && o.stderr && !o.tty) s.streams.get('stderr')?.write(d);
    };
    log.on('data', onData);
    const cfg = ctrs.configOf(rec);
    let stdin: net.Socket | undefined;
    try {
      if (o.stdin && cfg.stdin)
        stdin = streamToFifo(s.streams.get('stdin'), path.join(rec.ioDir, 'stdin'), () => {
          if (cfg.stdinOnce) void t.tasks.closeIO(CRI_NS, rec.id, '', true).catch(() => undefined);
        });
      onResize(
        s.streams.get('resize'),
        (w, h) => void t.tasks.resize(CRI_NS, rec.id, '', w, h).catch(() => undefined),
      );
      const gone = new Promise<'gone'>((r) => s.spdy.once('close', () => r('gone')));
      const r = await Promise.race([t.wait(rec.id).catch(() => ({ exitStatus: 0 })), gone]);
      if (r === 'gone') return;
      await Promise.race([log.drained(), sleep(1000)]);
      s.streams.get('stdout')?.end();
      s.streams.get('stderr')?.end();
      s.streams.get('error')?.end(status(0));
    } finally {
      log.off('data', onData);
      stdin?.destroy();
    }
  };
}

/** A TCP connection to 127.0.0.1:port made inside the namespace at `netns` (this one's when empty). */
function connectIn(netns: string, port: number): net.Socket {
  const opts = {
    host: 'pod-loopback',
    port,
    autoSelectFamily: false,
    // Synchronous: the socket is created inside the withNetns window.
    lookup: ((_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) =>
      o.all
        ? cb(null, [{ address: '127.0.0.1', family: 4 }])
        : cb(null, '127.0.0.1', 4)) as unknown as net.LookupFunction,
  };
  return netns ? withNetns(netns, () => net.connect(opts)) : net.connect(opts);
}

export function portForwardHandler(netns: string, ports: number[]): Handler {
  return async (s) => {
    const errors = new Map<string, SpdyStream>();
    const handle = (st: SpdyStream) => {
      const req = st.headers.requestid ?? '';
      if (st.headers.streamtype === 'error') {
        errors.set(req, st);
        return;
      }
      if (st.headers.streamtype !== 'data') return;
      const port = Number(st.headers.port);
      const fail = (msg: string) => {
        (errors.get(req) ?? st).end(Buffer.from(msg));
        st.end();
      };
      if (!Number.isInteger(port) || port <= 0 || port > 65535)
        return fail(`invalid port ${st.headers.port}`);
      if (ports.length > 0 && !ports.includes(port)) return fail(`port ${port} was not requested`);
      let sock: net.Socket;
      try {
        sock = connectIn(netns, port);
      } catch (e) {
        return fail(`connecting to port ${port}: ${(e as Error).message}`);
      }
      sock.on('data', (d: Buffer) => st.write(d));
      sock.once('end', () => st.end());
      sock.once('error', (e) => fail(`port ${port}: ${e.message}`));
      sock.once('close', () => {
        st.end();
        errors.get(req)?.end();
      });
      st.incoming.on('data', (d: Buffer) => sock.write(d));
      st.incoming.once('end', () => sock.end());
      st.once('close', () => sock.destroy());
    };
    for (const st of s.streams.values()) handle(st);
    s.spdy.on('stream', handle);
    await new Promise<void>((r) => s.spdy.once('close', () => r()));
  };
}
