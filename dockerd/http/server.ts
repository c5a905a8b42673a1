// The Docker Engine API HTTP server: version prefix and bounds, common headers, routing, error
// bodies, /_ping, hijack-capable 'upgrade' handling, and a unix socket listener.

import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { RequestContext, compareVersions, hijackError, type UpgradeInfo } from './context.js';
import { InvalidParameter, errorMessage } from '../errdefs/index.js';
import { httpStatusOf } from './status.js';
import { encodeJson, errorMessage as jsonError } from '../wire/jsonmessage.js';
import { Router, type Handler, type Route } from './router.js';
import { checkBody, checkContentType } from '../wire/body-schema.js';

export interface ApiServerOptions {
  routes: Route[];
  /** Highest API version served, also the version of unprefixed paths and the Api-Version header. */
  maxVersion: string;
  minVersion: string;
  /** Value of the Server header, e.g. `tsctr-dockerd/0.1.0 (linux)`. */
  serverHeader: string;
  log?: Logger;
  /** Default bound of ctx.json()/ctx.body(); 8 MiB if unset. */
  maxBodyBytes?: number;
  /** Docker-Experimental header value; false if unset. */
  experimental?: boolean;
  /** Builder-Version header on /_ping; left out if unset. */
  builderVersion?: string;
  /** Idle time before a kept-alive connection is closed; 5 minutes if unset. */
  keepAliveTimeoutMs?: number;
}

/** Connections Node no longer tracks (upgraded or hijacked), per server, for closeApiServer. */
const ownedSockets = new WeakMap<http.Server, Set<net.Socket>>();

/** How long a connection is kept after our FIN while waiting for the client's. */
const LINGER_MS = 5000;
const VERSION_PREFIX = /^\/v([0-9.]+)(\/.*)$/;

function pingRoutes(opts: ApiServerOptions): Route[] {
  const ping: Handler = (ctx) => {
    const res = ctx.res;
    res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Swarm', 'inactive');
    if (opts.builderVersion) res.setHeader('Builder-Version', opts.builderVersion);
    if (ctx.req.method === 'HEAD') {
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader('Content-Length', '0');
      res.end();
      return;
    }
    ctx.send(200, 'OK', 'text/plain; charset=utf-8');
  };
  return [
    { method: 'GET', path: '/_ping', handler: ping },
    { method: 'HEAD', path: '/_ping', handler: ping },
  ];
}

function sendPlainJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(`${encodeJson(value)}\n`);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/** Answer a handler error in whatever state the response is in; never throws. */
function respondError(res: http.ServerResponse, ctx: RequestContext | undefined, err: unknown): void {
  const status = httpStatusOf(err);
  const message = errorMessage(err);
  try {
    if (ctx?.hijacked) {
      hijackError(ctx.hijacked, status, message);
    } else if (!res.headersSent) {
      res.removeHeader('Content-Length');
      res.removeHeader('Transfer-Encoding');
      if (status === 304) {
        res.removeHeader('Content-Type');
        res.statusCode = 304;
        res.end();
      } else {
        sendPlainJson(res, status, { message });
      }
    } else if (res.writableEnded) {
      // Already complete: nothing to add.
    } else if (ctx?.streamKind === 'json') {
      res.end(`${encodeJson(jsonError(message))}\r\n`);
    } else {
      // A raw body cannot carry an error: cut it so the client sees a truncated response.
      res.destroy();
    }
  } catch {
    res.destroy();
  }
}

export function createApiServer(opts: ApiServerOptions): http.Server {
  const log = opts.log;
  const router = new Router([...pingRoutes(opts), ...opts.routes]);
  const common: Record<string, string> = {
    'Api-Version': opts.maxVersion,
    'Docker-Experimental': opts.experimental ? 'true' : 'false',
    Ostype: 'linux',
    Server: opts.serverHeader,
  };
  const active = new WeakMap<net.Socket, Set<RequestContext>>();
  const hijacked = new WeakSet<net.Socket>();
  const owned = new Set<net.Socket>();
  const own = (s: net.Socket): void => {
    if (owned.has(s)) return;
    owned.add(s);
    s.once('close', () => owned.delete(s));
  };
  const server = http.createServer({ maxHeaderSize: 1024 * 1024, requestTimeout: 0 });
  ownedSockets.set(server, owned);
  server.on('error', (err) => log?.error({ err: err.message }, 'api server error'));
  // Node ends a socket as soon as the client half-closes unless this is set; hijacked streams must
  // keep writing after the client's FIN. Plain requests are aborted on FIN by the 'end' hook below.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 300_000;
  server.headersTimeout = 60_000;

  function versionError(version: string): InvalidParameter | undefined {
    if (compareVersions(version, opts.minVersion) < 0) {
      return new InvalidParameter(
        `client version ${version} is too old. Minimum supported API version is ${opts.minVersion}, ` +
          'please upgrade your client to a newer version',
      );
    }
    if (compareVersions(version, opts.maxVersion) > 0) {
      return new InvalidParameter(
        `client version ${version} is too new. Maximum supported API version is ${opts.maxVersion}`,
      );
    }
    return undefined;
  }

  async function dispatch(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    upgrade?: UpgradeInfo,
  ): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const fullPath = q >= 0 ? url.slice(0, q) : url;
    const socket = upgrade?.socket ?? req.socket;
    res.on('error', (err) => log?.debug({ err: err.message, path: fullPath }, 'response write failed'));
    if (upgrade) res.setHeader('Connection', 'close');
    let ctx: RequestContext | undefined;
    try {
      const vm = VERSION_PREFIX.exec(fullPath);
      const version = vm ? vm[1] : opts.maxVersion;
      const routePath = vm ? vm[2] : fullPath;
      const found = router.match(method, routePath);
      if (!found) {
        sendPlainJson(res, 404, { message: 'page not found' });
        return;
      }
      const bad = versionError(version);
      if (bad) {
        // moby's version middleware sets these three before it rejects the version.
        res.setHeader('Api-Version', common['Api-Version']);
        res.setHeader('Ostype', common.Ostype);
        res.setHeader('Server', common.Server);
        throw bad;
      }
      for (const [k, v] of Object.entries(common)) res.setHeader(k, v);
      ctx = new RequestContext(req, res, found.params, version, {
        maxBodyBytes: opts.maxBodyBytes,
        upgrade,
        commonHeaders: common,
        log,
        path: routePath,
        onHijack: (s) => {
          hijacked.add(s);
          own(s);
        },
      });
      let set = active.get(socket);
      if (!set) active.set(socket, (set = new Set()));
      set.add(ctx);
      const schema = found.route.body;
      if (schema) {
        // Read (bounded) first: answering before the body is consumed makes the kernel reset the
        // connection under the client's feet, and it never sees the 400.
        await ctx.body();
        if (schema.jsonOnly) {
          const len = req.headers['content-length'];
          const hasBody = len === undefined ? req.headers['transfer-encoding'] !== undefined : len !== '0';
          checkContentType(req.headers['content-type'], hasBody);
        }
        checkBody(await ctx.json({ required: schema.required }), schema);
      }
      await found.route.handler(ctx);
      // The handler's promise settling means the response is complete.
      if (!ctx.hijacked && !res.writableEnded) res.end();
    } catch (err) {
      const status = httpStatusOf(err);
      if (status >= 500) log?.error({ err: errorMessage(err), method, path: fullPath }, 'handler failed');
      respondError(res, ctx, err);
    } finally {
      if (ctx) active.get(socket)?.delete(ctx);
      const status = ctx?.hijacked ? (upgrade ? 101 : 200) : res.statusCode;
      const ms = Math.round((performance.now() - started) * 10) / 10;
      log?.debug({ method, path: fullPath, status, ms }, 'api request');
    }
  }

  server.on('connection', (socket: net.Socket) => {
    socket.on('end', () => {
      if (hijacked.has(socket)) return;
      for (const ctx of active.get(socket) ?? []) ctx.abort();
    });
  });

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    dispatch(req, res).catch((err: unknown) => log?.error({ err: errorMessage(err) }, 'dispatch failed'));
  });

  // Node hands requests carrying `Connection: Upgrade` over with the raw socket and whatever it read past
  // the headers. A ServerResponse is bound to that socket so handlers answer them like any other
  // request; hijack() takes the socket over instead.
  server.on('upgrade', (req: http.IncomingMessage, duplex: Duplex, head: Buffer) => {
    const socket = duplex as net.Socket;
    own(socket);
    socket.on('error', (err) => log?.debug({ err: err.message }, 'upgraded socket error'));
    const res = new http.ServerResponse(req);
    res.assignSocket(socket);
    res.on('finish', () => {
      if (hijacked.has(socket)) return;
      socket.resume(); // discard whatever the client still sends
      socket.end(() => setTimeout(() => socket.destroy(), LINGER_MS).unref());
    });
    dispatch(req, res, { socket, head }).catch((err: unknown) =>
      log?.error({ err: errorMessage(err) }, 'dispatch failed'),
    );
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (hijacked.has(socket as net.Socket)) return;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
  });

  return server;
}

/**
 * Stop the server: no new connections, then every open one (kept-alive, streaming, hijacked) is
 * destroyed. Resolves once the listener is closed.
 */
export function closeApiServer(server: http.Server): Promise<void> {
  const done = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  for (const s of ownedSockets.get(server) ?? []) s.destroy();
  return done;
}

/** Whether something accepts connections on a unix socket path. */
function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = net.connect(socketPath);
    const timer = setTimeout(() => {
      conn.destroy();
      resolve(true); // a listener that does not answer in time is still a listener
    }, 2000);
    conn.once('connect', () => {
      clearTimeout(timer);
      conn.destroy();
      resolve(true);
    });
    conn.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(!(err.code === 'ECONNREFUSED' || err.code === 'ENOENT'));
    });
  });
}

/**
 * Listen on a unix socket: create the parent directory, remove a stale socket file (only if nothing
 * answers on it), listen, then set the file mode (and group, if given).
 */
export async function listenUnix(
  server: http.Server,
  socketPath: string,
  mode = 0o660,
  gid?: number,
): Promise<void> {
  await fs.mkdir(path.dirname(socketPath), { recursive: true });
  const st = await fs.lstat(socketPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (st) {
    if (!st.isSocket()) throw new Error(`${socketPath} exists and is not a socket`);
    if (await socketAnswers(socketPath)) throw new Error(`another process is listening on ${socketPath}`);
    await fs.unlink(socketPath);
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(socketPath, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
  await fs.chmod(socketPath, mode);
  if (gid !== undefined) await fs.chown(socketPath, -1, gid);
}
