import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TsctrError } from '../../api/errdefs.js';
import type { RequestContext } from './context.js';
import { Conflict, NotFound, NotModified } from '../errdefs/index.js';
import type { Route } from './router.js';
import { closeApiServer, createApiServer, listenUnix } from './server.js';
import { demuxBuffer, frame } from '../wire/stdcopy.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let dir: string;
let sock: string;
let server: http.Server;
const seen: { aborted: boolean; attachBody?: unknown } = { aborted: false };

/** Collect a hijacked stream's stdin, then answer with frames written after the client's FIN. */
async function echoAfterEof(ctx: RequestContext): Promise<void> {
  const body = await ctx.json<Record<string, unknown>>();
  seen.attachBody = body;
  const s = await ctx.hijack();
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve) => s.once('end', () => resolve()));
  await sleep(30); // output strictly after the client's half-close
  s.write(frame(1, `stdin:${Buffer.concat(chunks).toString()}`));
  s.write(frame(2, `body:${JSON.stringify(body ?? null)}`));
  s.end();
}

const routes: Route[] = [
  {
    method: 'GET',
    path: '/version',
    handler: (ctx) => ctx.sendJson(200, { ApiVersion: ctx.apiVersion, a: '<>' }),
  },
  { method: 'GET', path: '/containers/json', handler: (ctx) => ctx.sendJson(200, { all: ctx.bool('all') }) },
  {
    method: 'GET',
    path: '/containers/{name}/json',
    handler: (ctx) => {
      throw new NotFound(`No such container: ${ctx.params.name}`);
    },
  },
  {
    method: 'POST',
    path: '/containers/{name}/start',
    handler: () => {
      throw new NotModified();
    },
  },
  {
    method: 'POST',
    path: '/containers/create',
    handler: async (ctx) => ctx.sendJson(201, { got: await ctx.json({ required: true }) }),
  },
  {
    method: 'DELETE',
    path: '/images/{name:.*}',
    handler: (ctx) => ctx.sendJson(200, [{ Untagged: ctx.params.name }]),
  },
  {
    method: 'POST',
    path: '/networks/create',
    handler: () => {
      throw new TsctrError('AlreadyExists', 'network exists');
    },
  },
  {
    method: 'POST',
    path: '/boom',
    handler: () => {
      throw new Error('kaboom');
    },
  },
  {
    method: 'POST',
    path: '/conflict',
    handler: async () => {
      await sleep(1);
      throw new Conflict('in use');
    },
  },
  {
    method: 'POST',
    path: '/images/create',
    handler: async (ctx) => {
      const out = ctx.streamJson();
      out.write({ status: 'Pulling from busybox', id: '1.0' });
      await sleep(5);
      throw new NotFound('manifest unknown');
    },
  },
  {
    method: 'GET',
    path: '/events',
    handler: async (ctx) => {
      ctx.streamJson({ separator: '\n' });
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      seen.aborted = true;
    },
  },
  {
    method: 'GET',
    path: '/logs',
    handler: async (ctx) => {
      const out = ctx.startStream();
      out.write('partial');
      await sleep(5);
      throw new Error('log driver failed');
    },
  },
  { method: 'POST', path: '/containers/{name}/attach', handler: echoAfterEof },
  { method: 'POST', path: '/exec/{id}/start', handler: echoAfterEof },
  {
    method: 'POST',
    path: '/big/attach',
    handler: async (ctx) => {
      const s = await ctx.hijack();
      s.resume();
      await new Promise<void>((resolve) => s.once('end', () => resolve()));
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      for (let i = 0; i < 64; i++) s.write(chunk); // 4 MiB, mostly still buffered when end() runs
      s.end();
    },
  },
  {
    method: 'POST',
    path: '/containers/{name}/wait',
    handler: async (ctx) => {
      // non-upgrade hijack that writes only after a delay
      const s = await ctx.hijack();
      await sleep(50);
      s.end('hi-run\r\n');
    },
  },
];

function request(opts: http.RequestOptions & { body?: string | Buffer }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Raw connection: write `data`, optionally half-close, collect everything until the server closes. */
function rawExchange(
  data: string | Buffer,
  opts: { halfClose?: 'now' | 'after-head' } = {},
): Promise<{ text: string; buf: Buffer }> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    const chunks: Buffer[] = [];
    let ended = false;
    c.on('data', (d: Buffer) => {
      chunks.push(d);
      if (opts.halfClose === 'after-head' && !ended && Buffer.concat(chunks).includes('\r\n\r\n')) {
        ended = true;
        c.end();
      }
    });
    c.on('error', reject);
    c.on('close', () => {
      const buf = Buffer.concat(chunks);
      resolve({ buf, text: buf.toString('latin1') });
    });
    c.write(data);
    if (opts.halfClose === 'now') c.end();
  });
}

function splitHead(buf: Buffer): { head: string; body: Buffer } {
  const i = buf.indexOf('\r\n\r\n');
  return { head: buf.subarray(0, i).toString('latin1'), body: buf.subarray(i + 4) };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-http-'));
  sock = path.join(dir, 'docker.sock');
  server = createApiServer({
    routes,
    maxVersion: '1.41',
    minVersion: '1.24',
    serverHeader: 'tsctr-dockerd/test (linux)',
    maxBodyBytes: 1024,
  });
  await listenUnix(server, sock);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('versions and headers', () => {
  it('serves prefixed and unprefixed paths with the common headers', async () => {
    const r = await request({ path: '/v1.30/version' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ ApiVersion: '1.30', a: '<>' });
    expect(r.body).toBe('{"ApiVersion":"1.30","a":"\\u003c\\u003e"}\n');
    expect(r.headers['api-version']).toBe('1.41');
    expect(r.headers['docker-experimental']).toBe('false');
    expect(r.headers['ostype']).toBe('linux');
    expect(r.headers['server']).toBe('tsctr-dockerd/test (linux)');
    expect(r.headers['content-type']).toBe('application/json');
    const bare = await request({ path: '/version' });
    expect(JSON.parse(bare.body).ApiVersion).toBe('1.41');
  });

  it('rejects versions out of bounds', async () => {
    const hi = await request({ path: '/v9.99/version' });
    expect(hi.status).toBe(400);
    expect(hi.body).toBe(
      '{"message":"client version 9.99 is too new. Maximum supported API version is 1.41"}\n',
    );
    expect(hi.headers['api-version']).toBe('1.41');
    const lo = await request({ path: '/v1.11/version' });
    expect(lo.status).toBe(400);
    expect(JSON.parse(lo.body).message).toBe(
      'client version 1.11 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
    );
  });

  it('answers unknown paths and methods with page not found, without API headers', async () => {
    for (const [method, p] of [
      ['GET', '/nothing'],
      ['GET', '/v1.41/nothing'],
      ['POST', '/containers/json'],
      ['GET', '/v1.41'],
    ]) {
      const r = await request({ method, path: p });
      expect(r.status).toBe(404);
      expect(r.body).toBe('{"message":"page not found"}\n');
      expect(r.headers['api-version']).toBeUndefined();
    }
  });

  it('serves /_ping for GET and HEAD', async () => {
    const get = await request({ path: '/_ping' });
    expect(get.status).toBe(200);
    expect(get.body).toBe('OK');
    expect(get.headers['content-type']).toBe('text/plain; charset=utf-8');
    const head = await request({ method: 'HEAD', path: '/v1.41/_ping' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('0');
    for (const r of [get, head]) {
      expect(r.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
      expect(r.headers['pragma']).toBe('no-cache');
      expect(r.headers['swarm']).toBe('inactive');
      expect(r.headers['api-version']).toBe('1.41');
      expect(r.headers['ostype']).toBe('linux');
    }
  });

  it('keeps connections alive across requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const reused: boolean[] = [];
    for (let i = 0; i < 2; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.request({ socketPath: sock, path: '/v1.41/_ping', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        reused.push(req.reusedSocket);
        req.on('error', reject);
        req.end();
      });
    }
    agent.destroy();
    expect(reused).toEqual([false, true]);
  });
});

describe('handlers and errors', () => {
  it('maps errors to statuses and JSON bodies', async () => {
    const nf = await request({ path: '/v1.41/containers/c1/json' });
    expect(nf.status).toBe(404);
    expect(nf.body).toBe('{"message":"No such container: c1"}\n');
    expect(nf.headers['api-version']).toBe('1.41');
    const nm = await request({ method: 'POST', path: '/containers/c1/start' });
    expect(nm.status).toBe(304);
    expect(nm.body).toBe('');
    const exists = await request({ method: 'POST', path: '/networks/create' });
    expect(exists.status).toBe(409);
    expect(JSON.parse(exists.body)).toEqual({ message: 'network exists' });
    const boom = await request({ method: 'POST', path: '/boom' });
    expect(boom.status).toBe(500);
    expect(JSON.parse(boom.body)).toEqual({ message: 'kaboom' });
    const conflict = await request({ method: 'POST', path: '/conflict' });
    expect(conflict.status).toBe(409);
  });

  it('parses query booleans and greedy parameters', async () => {
    expect(JSON.parse((await request({ path: '/containers/json?all=1' })).body)).toEqual({ all: true });
    expect(JSON.parse((await request({ path: '/containers/json?all=0' })).body)).toEqual({ all: false });
    const del = await request({ method: 'DELETE', path: '/v1.41/images/localhost:5000/busybox:1.0' });
    expect(JSON.parse(del.body)).toEqual([{ Untagged: 'localhost:5000/busybox:1.0' }]);
  });

  it('reads JSON bodies, rejects malformed and oversized ones', async () => {
    const ok = await request({
      method: 'POST',
      path: '/containers/create',
      headers: { 'Content-Type': 'application/json' },
      body: '{"Image":"busybox"}',
    });
    expect(ok.status).toBe(201);
    expect(JSON.parse(ok.body)).toEqual({ got: { Image: 'busybox' } });
    const bad = await request({ method: 'POST', path: '/containers/create', body: 'xyz' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toBe(
      "invalid JSON: invalid character 'x' looking for beginning of value",
    );
    const empty = await request({ method: 'POST', path: '/containers/create' });
    expect(empty.status).toBe(400);
    const big = await request({
      method: 'POST',
      path: '/containers/create',
      body: JSON.stringify({ pad: 'x'.repeat(2000) }),
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).message).toBe('request body too large');
    expect(big.headers['connection']).toBe('close');
    const chunked = await new Promise<Reply>((resolve, reject) => {
      const req = http.request({ socketPath: sock, method: 'POST', path: '/containers/create' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
      req.on('error', reject);
      for (let i = 0; i < 5; i++) req.write('x'.repeat(400)); // chunked, no Content-Length
      req.end();
    });
    expect(chunked.status).toBe(413);
  });

  it('ends a JSON stream with an error line when the handler fails mid-stream', async () => {
    const r = await request({ method: 'POST', path: '/images/create?fromImage=busybox' });
    expect(r.status).toBe(200);
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.body).toBe(
      '{"status":"Pulling from busybox","id":"1.0"}\r\n{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\r\n',
    );
  });

  it('cuts a raw stream when the handler fails mid-stream, and keeps serving', async () => {
    await expect(request({ path: '/logs' })).rejects.toThrow();
    expect((await request({ path: '/_ping' })).body).toBe('OK');
  });

  it('aborts ctx.signal when the client half-closes a streaming request', async () => {
    seen.aborted = false;
    const { text } = await rawExchange('GET /v1.41/events HTTP/1.1\r\nHost: x\r\n\r\n', {
      halfClose: 'after-head',
    });
    expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    await sleep(20);
    expect(seen.aborted).toBe(true);
  });
});

describe('hijacking', () => {
  it('upgrades, reads stdin until half-close, and still writes output after it (CLI style)', async () => {
    const c = net.connect(sock);
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    c.on('data', (d: Buffer) => chunks.push(d));
    c.write(
      'POST /v1.41/containers/c1/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: api.moby.localhost\r\n' +
        'Content-Length: 0\r\nConnection: Upgrade\r\nContent-Type: text/plain\r\nUpgrade: tcp\r\n\r\n',
    );
    while (!Buffer.concat(chunks).includes('\r\n\r\n')) await sleep(5);
    c.write('hello ');
    c.write('world');
    c.end(); // CloseWrite
    await closed;
    const { head, body } = splitHead(Buffer.concat(chunks));
    expect(head).toBe(
      'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp',
    );
    const { frames } = demuxBuffer(body);
    expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([
      [1, 'stdin:hello world'],
      [2, 'body:null'],
    ]);
  });

  it('takes the body by Content-Length and treats the rest as stream data (dockerode style)', async () => {
    const json = '{"stream":true,"stdin":true,"stdout":true,"stderr":true,"hijack":true}';
    expect(json.length).toBe(70);
    const req =
      'POST /containers/c1/attach?stream=true&stdin=true&stdout=true&stderr=true&hijack=true HTTP/1.1\r\n' +
      `Content-Type: application/json\r\nContent-Length: ${json.length}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nHost: localhost\r\n\r\n` +
      `${json}from-stdin\n`;
    const { buf } = await rawExchange(req, { halfClose: 'now' });
    const { head, body } = splitHead(buf);
    expect(head.startsWith('HTTP/1.1 101 UPGRADED\r\n')).toBe(true);
    const { frames } = demuxBuffer(body);
    expect(frames.map((f) => f.payload.toString())).toEqual(['stdin:from-stdin\n', `body:${json}`]);
  });

  it('reads a body that arrives after the head in separate writes', async () => {
    const c = net.connect(sock);
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    c.on('data', (d: Buffer) => chunks.push(d));
    c.write(
      'POST /v1.41/exec/e1/start HTTP/1.1\r\nHost: x\r\nContent-Length: 29\r\nConnection: Upgrade\r\n' +
        'Content-Type: application/json\r\nUpgrade: tcp\r\n\r\n{"Detach":false,',
    );
    await sleep(20);
    c.write('"Tty":false}\nxy');
    await sleep(20);
    c.end('z');
    await closed;
    const { head, body } = splitHead(Buffer.concat(chunks));
    expect(head.startsWith('HTTP/1.1 101 UPGRADED')).toBe(true);
    expect(demuxBuffer(body).frames.map((f) => f.payload.toString())).toEqual([
      'stdin:xyz',
      'body:{"Detach":false,"Tty":false}',
    ]);
  });

  it('answers errors before a hijack on an upgrade request as plain JSON and closes', async () => {
    const { text } = await rawExchange(
      'GET /v1.41/containers/nosuch/json HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
    );
    expect(text.startsWith('HTTP/1.1 404 Not Found\r\n')).toBe(true);
    expect(text).toContain('Connection: close');
    expect(text.endsWith('{"message":"No such container: nosuch"}\n')).toBe(true);
  });

  it('hijacks without Upgrade as 200 raw-stream, survives a client FIN, and closes at the end', async () => {
    const body = '{"stream":true,"stdout":true,"stderr":true}';
    const { buf } = await rawExchange(
      `POST /containers/c2/wait HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
        `Host: localhost\r\nConnection: keep-alive\r\n\r\n${body}`,
      { halfClose: 'now' },
    );
    expect(buf.toString()).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nhi-run\r\n',
    );
  });

  it('flushes all buffered output before closing', async () => {
    const { buf } = await rawExchange(
      'POST /big/attach HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
      { halfClose: 'after-head' },
    );
    expect(splitHead(buf).body.length).toBe(4 * 1024 * 1024);
  });

  it('survives a client that vanishes mid-stream', async () => {
    const c = net.connect(sock);
    c.on('error', () => undefined);
    c.write(
      'POST /containers/c1/attach?stream=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
    );
    await sleep(20);
    c.destroy();
    await sleep(60);
    expect((await request({ path: '/_ping' })).body).toBe('OK');
  });
});

describe('listenUnix', () => {
  it('refuses a live socket and non-sockets, replaces a stale socket', async () => {
    const livePath = path.join(dir, 'live.sock');
    const live = net.createServer();
    await new Promise<void>((r) => live.listen(livePath, r));
    await expect(listenUnix(http.createServer(), livePath)).rejects.toThrow(/another process/);
    await new Promise((r) => live.close(r));

    writeFileSync(path.join(dir, 'plain'), '');
    await expect(listenUnix(http.createServer(), path.join(dir, 'plain'))).rejects.toThrow(/not a socket/);

    // A socket file left by a killed process: nobody answers on it.
    const stalePath = path.join(dir, 'stale.sock');
    const script =
      "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))";
    expect(() => execFileSync(process.execPath, ['-e', script, stalePath], { stdio: 'ignore' })).toThrow();
    expect(statSync(stalePath).isSocket()).toBe(true);
    const s2 = http.createServer((_req, res) => res.end('x'));
    await listenUnix(s2, stalePath, 0o600);
    expect(statSync(stalePath).mode & 0o777).toBe(0o600);
    await new Promise((r) => s2.close(r));
  });
});

describe('closeApiServer', () => {
  it('closes the listener and hijacked connections', async () => {
    const p = path.join(dir, 'close.sock');
    const s = createApiServer({
      routes: [
        {
          method: 'POST',
          path: '/attach',
          handler: async (ctx) => {
            await ctx.hijack();
          },
        },
      ],
      maxVersion: '1.41',
      minVersion: '1.24',
      serverHeader: 'x',
    });
    await listenUnix(s, p);
    const c = net.connect(p);
    const closed = new Promise<void>((r) => c.on('close', () => r()));
    c.on('error', () => undefined);
    c.resume();
    c.write('POST /attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    await sleep(30);
    await closeApiServer(s);
    await closed;
  });
});
