import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TsctrError, notFound } from '../errdefs.js';
import { TaskService } from '../gen/containerd/runtime/task/v2/shim.js';
import { Request, Response } from '../gen/ttrpc/request.js';
import { TtrpcClient } from './client.js';
import { FrameReader, HEADER_LENGTH, MESSAGE_LENGTH_MAX, encodeFrame } from './frame.js';
import type { Frame } from './frame.js';
import { NAMESPACE_KEY } from './metadata.js';
import { TtrpcServer } from './server.js';
import type { CallContext } from './server.js';

let dir: string;
let sock: string;
const cleanups: Array<() => Promise<void> | void> = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ttrpc-'));
  sock = path.join(dir, 's.sock');
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(setup: (s: TtrpcServer) => void): Promise<TtrpcServer> {
  const server = new TtrpcServer();
  setup(server);
  await server.listen(sock);
  cleanups.push(() => server.close({ timeoutMs: 100 }));
  return server;
}

async function dial(opts: Parameters<typeof TtrpcClient.connect>[1] = {}): Promise<TtrpcClient> {
  const c = await TtrpcClient.connect(sock, opts);
  cleanups.push(() => c.close());
  return c;
}

const echo = (s: TtrpcServer): void => {
  s.register('test.Echo', 'Echo', async (req) => req);
};

function rejection(p: Promise<unknown>): Promise<TsctrError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(TsctrError);
      return e as TsctrError;
    },
  );
}

/** A raw connection: write frames by hand, read the frames that come back. */
async function raw(): Promise<{ socket: net.Socket; next: () => Promise<Frame> }> {
  const socket = net.createConnection({ path: sock });
  await new Promise((r) => socket.once('connect', r));
  cleanups.push(() => void socket.destroy());
  const queue: Frame[] = [];
  const waiters: Array<(f: Frame) => void> = [];
  const reader = new FrameReader(
    (f) => {
      const w = waiters.shift();
      if (w) w(f);
      else queue.push(f);
    },
    () => undefined,
  );
  socket.on('data', (c: Buffer) => reader.push(c));
  const next = (): Promise<Frame> => {
    const f = queue.shift();
    return f ? Promise.resolve(f) : new Promise((r) => waiters.push(r));
  };
  return { socket, next };
}

function requestBytes(service: string, method: string, payload = Buffer.alloc(0)): Uint8Array {
  return Request.encode({ service, method, payload, timeoutNano: 0, metadata: [] }).finish();
}

describe('ttrpc client and server', () => {
  it('round-trips raw payloads', async () => {
    await startServer(echo);
    const c = await dial();
    expect((await c.call('test.Echo', 'Echo', Buffer.from('hi'))).toString()).toBe('hi');
    expect((await c.call('test.Echo', 'Echo', new Uint8Array(0))).length).toBe(0);
  });

  it('round-trips typed messages through a ts-proto service definition', async () => {
    await startServer((s) =>
      s.registerService(TaskService, {
        connect: async (req) => ({ shimPid: 42, taskPid: req.id === 'c1' ? 7 : 0, version: '2' }),
        wait: async () => ({ exitStatus: 7, exitedAt: { seconds: 1700000000, nanos: 5 } }),
      }),
    );
    const task = (await dial()).client(TaskService);
    expect(await task.connect({ id: 'c1' })).toEqual({ shimPid: 42, taskPid: 7, version: '2' });
    expect(await task.wait({ id: 'c1', execId: '' })).toEqual({
      exitStatus: 7,
      exitedAt: { seconds: 1700000000, nanos: 5 },
    });
    const e = await rejection(task.start({ id: 'c1', execId: '' }));
    expect([e.kind, e.message]).toEqual(['NotImplemented', 'method Start']);
  });

  it('passes metadata, the namespace and the deadline to handlers', async () => {
    let seen: CallContext | undefined;
    await startServer((s) =>
      s.register('test.Echo', 'Ctx', async (_req, ctx) => {
        seen = ctx;
        return new Uint8Array(0);
      }),
    );
    const c = await dial({ metadata: { [NAMESPACE_KEY]: 'moby', 'X-Multi': 'a' } });
    const before = Date.now();
    await c.call('test.Echo', 'Ctx', new Uint8Array(0), { metadata: { other: ['1', '2'] }, timeoutMs: 5000 });
    expect(seen?.namespace).toBe('moby');
    expect(seen?.metadata).toEqual({ [NAMESPACE_KEY]: ['moby'], 'x-multi': ['a'], other: ['1', '2'] });
    expect(seen?.deadline).toBeGreaterThanOrEqual(before + 4900);
    expect(seen?.deadline).toBeLessThanOrEqual(Date.now() + 5000);
    expect(seen?.signal.aborted).toBe(false);
  });

  it('answers unknown services and methods with UNIMPLEMENTED, as containerd words it', async () => {
    await startServer(echo);
    const c = await dial();
    const svc = await rejection(c.call('test.Nope', 'Echo', new Uint8Array(0)));
    expect([svc.kind, svc.message]).toEqual(['NotImplemented', 'service test.Nope']);
    const m = await rejection(c.call('test.Echo', 'Nope', new Uint8Array(0)));
    expect([m.kind, m.message]).toEqual(['NotImplemented', 'method Nope']);
  });

  it('turns thrown errors into statuses and back', async () => {
    await startServer((s) => {
      s.register('t.E', 'Typed', async () => {
        throw notFound('container c1');
      });
      s.register('t.E', 'Coded', async () => {
        throw Object.assign(new Error('not now'), { code: 9 });
      });
      s.register('t.E', 'Plain', async () => {
        throw new Error('boom');
      });
      s.register('t.E', 'Errno', async () => {
        throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
      });
    });
    const c = await dial();
    const call = (m: string): Promise<TsctrError> => rejection(c.call('t.E', m, new Uint8Array(0)));
    expect(await call('Typed')).toMatchObject({ kind: 'NotFound', message: 'container c1' });
    expect(await call('Coded')).toMatchObject({ kind: 'FailedPrecondition', message: 'not now' });
    expect(await call('Plain')).toMatchObject({ kind: 'Unknown', message: 'boom' });
    expect(await call('Errno')).toMatchObject({ kind: 'NotFound', message: 'ENOENT: no such file' });
  });

  it('multiplexes concurrent calls and matches out-of-order responses', async () => {
    await startServer((s) =>
      s.register('t.S', 'Sleep', async (req) => {
        const ms = req.readUInt8(0);
        await new Promise((r) => setTimeout(r, ms));
        return req;
      }),
    );
    const c = await dial();
    const delays = [60, 10, 40, 0, 30, 20];
    const order: number[] = [];
    const results = await Promise.all(
      delays.map(async (d) => {
        const out = await c.call('t.S', 'Sleep', Buffer.from([d]));
        order.push(d);
        return out.readUInt8(0);
      }),
    );
    expect(results).toEqual(delays);
    expect(order).toEqual([...delays].sort((a, b) => a - b));
  });

  it('uses odd, increasing stream ids and tolerates a server answering out of order', async () => {
    const ids: number[] = [];
    const server = net.createServer((conn) => {
      const reader = new FrameReader(
        (f) => {
          ids.push(f.streamId);
          if (ids.length < 3) return;
          for (const id of [...ids].reverse()) {
            const body = Response.encode({ payload: Buffer.from(`r${id}`) }).finish();
            conn.write(encodeFrame(id, 2, body));
          }
        },
        () => undefined,
      );
      conn.on('data', (b: Buffer) => reader.push(b));
    });
    await new Promise<void>((r) => server.listen(sock, r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const c = await dial();
    const out = await Promise.all([1, 2, 3].map(() => c.call('s', 'm', new Uint8Array(0))));
    expect(ids).toEqual([1, 3, 5]);
    expect(out.map(String)).toEqual(['r1', 'r3', 'r5']);
  });

  it('times out a call with DeadlineExceeded and ignores its late answer', async () => {
    await startServer((s) =>
      s.register('t.S', 'Slow', async (req) => {
        await new Promise((r) => setTimeout(r, 150));
        return req;
      }),
    );
    const c = await dial();
    const e = await rejection(c.call('t.S', 'Slow', Buffer.from('x'), { timeoutMs: 20 }));
    expect(e.kind).toBe('DeadlineExceeded');
    await new Promise((r) => setTimeout(r, 200));
    expect((await c.call('t.S', 'Slow', Buffer.from('y'))).toString()).toBe('y');
  });

  it('cancels a call through an AbortSignal', async () => {
    await startServer((s) => s.register('t.S', 'Hang', () => new Promise(() => undefined)));
    const c = await dial();
    const ac = new AbortController();
    const p = rejection(c.call('t.S', 'Hang', new Uint8Array(0), { signal: ac.signal }));
    ac.abort();
    expect((await p).kind).toBe('Canceled');
  });

  it('enforces the 4 MiB limit on requests and responses', async () => {
    await startServer((s) => {
      echo(s);
      s.register('t.Big', 'Reply', async () => Buffer.alloc(MESSAGE_LENGTH_MAX + 1));
    });
    const c = await dial();
    // A request whose framed Request message is over the limit never leaves the client.
    const tooBig = await rejection(c.call('test.Echo', 'Echo', Buffer.alloc(MESSAGE_LENGTH_MAX)));
    expect(tooBig.message).toMatch(/exceed maximum message size of 4194304/);
    const reply = await rejection(c.call('t.Big', 'Reply', new Uint8Array(0)));
    expect(reply.message).toMatch(/message length 4194305 exceed maximum message size of 4194304/);
    // Just under the limit goes through both ways.
    const near = Buffer.alloc(MESSAGE_LENGTH_MAX - 64, 7);
    expect((await c.call('test.Echo', 'Echo', near)).equals(near)).toBe(true);
  });

  it('rejects pending calls with Unavailable and runs onClose when the server goes away', async () => {
    const server = await startServer((s) => s.register('t.S', 'Hang', () => new Promise(() => undefined)));
    const c = await dial();
    const closed = new Promise<void>((r) => c.onClose(r));
    const p = rejection(c.call('t.S', 'Hang', new Uint8Array(0)));
    await new Promise((r) => setTimeout(r, 20));
    await server.close({ timeoutMs: 0 });
    const e = await p;
    expect([e.kind, e.message]).toEqual(['Unavailable', 'ttrpc: closed']);
    await closed;
    expect(c.closed).toBe(true);
    expect((await rejection(c.call('t.S', 'Hang', new Uint8Array(0)))).kind).toBe('Unavailable');
  });

  it('closes gracefully: in-flight calls finish, handler signals abort only when forced', async () => {
    let signal: AbortSignal | undefined;
    const server = await startServer((s) => {
      s.register('t.S', 'Slow', async (req) => {
        await new Promise((r) => setTimeout(r, 80));
        return req;
      });
      s.register('t.S', 'Hang', (_req, ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      });
    });
    const a = await dial();
    const b = await TtrpcClient.connect(sock); // idle: closed at once
    const bClosed = new Promise<void>((r) => b.onClose(r));
    const slow = a.call('t.S', 'Slow', Buffer.from('done'));
    await new Promise((r) => setTimeout(r, 10));
    const closing = server.close();
    await bClosed;
    expect((await slow).toString()).toBe('done');
    await closing;
    expect(server.connections).toBe(0);
    expect((await rejection(TtrpcClient.connect(sock, { timeoutMs: 1000 }))).kind).toBe('Unavailable');

    const server2 = await startServer((s) =>
      s.register('t.S', 'Hang', (_req, ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      }),
    );
    const c = await dial();
    const hang = rejection(c.call('t.S', 'Hang', new Uint8Array(0)));
    await new Promise((r) => setTimeout(r, 10));
    await server2.close({ timeoutMs: 30 });
    expect(signal?.aborted).toBe(true);
    expect((await hang).kind).toBe('Unavailable');
  });

  it('fails to connect with Unavailable', async () => {
    const e = await rejection(
      TtrpcClient.connect(`unix://${path.join(dir, 'none.sock')}`, { timeoutMs: 500 }),
    );
    expect(e.kind).toBe('Unavailable');
    expect(e.message).toMatch(/^ttrpc: dial .*none\.sock: /);
  });
});

describe('ttrpc server, byte by byte', () => {
  it('answers requests split across writes and merged into one write', async () => {
    await startServer(echo);
    const { socket, next } = await raw();
    const one = encodeFrame(1, 1, requestBytes('test.Echo', 'Echo', Buffer.from('a')));
    for (const b of one) socket.write(Buffer.from([b]));
    const f1 = await next();
    expect([f1.streamId, f1.type]).toEqual([1, 2]);
    expect(Response.decode(f1.payload)).toMatchObject({ status: { code: 0 }, payload: Buffer.from('a') });

    socket.write(
      Buffer.concat([
        encodeFrame(3, 1, requestBytes('test.Echo', 'Echo', Buffer.from('b'))),
        encodeFrame(5, 1, requestBytes('test.Echo', 'Echo', Buffer.from('c'))),
      ]),
    );
    const got = [await next(), await next()].map((f) => [
      f.streamId,
      Response.decode(f.payload).payload.toString(),
    ]);
    expect(got.sort()).toEqual([
      [3, 'b'],
      [5, 'c'],
    ]);
  });

  it('refuses even stream ids, garbage and oversized messages on their stream, and keeps serving', async () => {
    await startServer(echo);
    const { socket, next } = await raw();

    socket.write(encodeFrame(2, 1, requestBytes('test.Echo', 'Echo')));
    const even = Response.decode((await next()).payload);
    expect(even.status).toMatchObject({
      code: 3,
      message: 'StreamID must be odd for client initiated streams',
    });

    socket.write(encodeFrame(7, 1, Buffer.from([0xff, 0xff, 0xff])));
    const bad = await next();
    expect(bad.streamId).toBe(7);
    expect(Response.decode(bad.payload).status?.code).toBe(3);
    expect(Response.decode(bad.payload).status?.message).toMatch(/^unmarshal request error: /);

    // A response-type frame from a client is ignored (reserved for later protocol versions).
    socket.write(encodeFrame(9, 2, Buffer.from('ignored')));

    const header = Buffer.alloc(HEADER_LENGTH);
    header.writeUInt32BE(MESSAGE_LENGTH_MAX + 10, 0);
    header.writeUInt32BE(11, 4);
    header.writeUInt8(1, 8);
    socket.write(Buffer.concat([header, Buffer.alloc(MESSAGE_LENGTH_MAX + 10)]));
    const big = await next();
    expect(big.streamId).toBe(11);
    expect(Response.decode(big.payload).status).toMatchObject({
      code: 8,
      message: `message length ${MESSAGE_LENGTH_MAX + 10} exceed maximum message size of ${MESSAGE_LENGTH_MAX}`,
    });

    socket.write(encodeFrame(13, 1, requestBytes('test.Echo', 'Echo', Buffer.from('still here'))));
    const ok = await next();
    expect(ok.streamId).toBe(13);
    expect(Response.decode(ok.payload).payload.toString()).toBe('still here');
  });
});

const here = path.dirname(fileURLToPath(import.meta.url));
const hasSocketActivate = spawnSync('systemd-socket-activate', ['--help']).status === 0;

describe('ttrpc server on an inherited listening fd 3 (shim v2 convention)', () => {
  it.skipIf(!hasSocketActivate)('serves { fd: 3 }', async () => {
    const child = spawn(
      'systemd-socket-activate',
      ['-l', sock, process.execPath, '--import', 'tsx', path.join(here, 'testdata', 'fd3-server.ts')],
      { stdio: ['ignore', 'ignore', 'pipe'], cwd: path.resolve(here, '..', '..') },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    cleanups.push(() => void child.kill('SIGKILL'));

    let c: TtrpcClient | undefined;
    for (let i = 0; i < 100 && !c; i++) {
      c = await TtrpcClient.connect(sock).catch(() => undefined);
      if (!c) await new Promise((r) => setTimeout(r, 50));
    }
    if (!c) throw new Error(`could not connect: ${stderr}`);
    const task = c.client(TaskService);
    const resp = await task.connect({ id: 'x' }, { timeoutMs: 20_000 });
    expect(resp.version).toBe('fd3');
    expect(resp.shimPid).toBeGreaterThan(0);
    // Shutdown: the server answers, then closes gracefully and the process exits by itself.
    const closed = new Promise<void>((r) => c.onClose(r));
    await task.shutdown({ id: 'x', now: false });
    await closed;
    expect(await exited).toBe(0);
  });
});
