// Forwarding of the names Docker does not own to the upstream servers (libnetwork resolver.go):
// at most three, tried in order, 4 s each, over the protocol the client used. SERVFAIL, REFUSED,
// a non-authoritative NXDOMAIN or any other error code moves on to the next one; NOERROR (even
// truncated, so that the client retries over TCP) and an authoritative NXDOMAIN are final.
// An upstream on the host's loopback (from the host's resolv.conf) is asked from the host's
// namespace; every other one from inside the container's, as Docker does.
import type dgram from 'node:dgram';
import type net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Logger } from 'pino';
import { tcpClient, udpClient } from './sockets.js';

export interface Upstream {
  ip: string;
  /** 53 unless given (tests run their own servers on other ports). */
  port?: number;
  /** A loopback address of the host's own resolv.conf: asked from the host's namespace. */
  hostLoopback: boolean;
}

export const MAX_UPSTREAMS = 3;
export const UPSTREAM_TIMEOUT_MS = 4000;

export interface ForwardContext {
  /** The container's namespace, where non-host-loopback upstreams are asked from. */
  sandboxPath: string;
  upstreams: readonly Upstream[];
  log: Logger;
  timeoutMs?: number;
  /** Aborts every attempt at once (the resolver is closing). */
  signal?: AbortSignal;
}

const RCODE_NOERROR = 0;
const RCODE_NXDOMAIN = 3;

/** Sends one query to one upstream; the raw answer, or undefined on error or timeout. */
function ask(
  u: Upstream,
  query: Buffer,
  proto: 'udp' | 'tcp',
  ctx: ForwardContext,
): Promise<Buffer | undefined> {
  const port = u.port ?? 53;
  const ns = u.hostLoopback ? undefined : ctx.sandboxPath;
  return new Promise((resolve) => {
    let sock: dgram.Socket | net.Socket | undefined;
    let timer: NodeJS.Timeout | undefined;
    const done = (answer: Buffer | undefined, why?: string) => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      if (why) ctx.log.debug({ upstream: `${u.ip}:${port}`, proto, why }, 'dns upstream failed');
      ctx.signal?.removeEventListener('abort', onAbort);
      if (sock && 'destroy' in sock) sock.destroy();
      else sock?.close();
      resolve(answer);
    };
    const onAbort = () => done(undefined, 'closing');
    timer = setTimeout(() => done(undefined, 'timeout'), ctx.timeoutMs ?? UPSTREAM_TIMEOUT_MS);
    ctx.signal?.addEventListener('abort', onAbort);
    if (ctx.signal?.aborted) return done(undefined, 'closing');
    try {
      if (proto === 'udp') {
        const udp = udpClient(ns, u.ip, port);
        sock = udp;
        udp.on('error', (err) => done(undefined, err.message));
        udp.on('message', (msg) => {
          if (msg.length >= 2 && msg.readUInt16BE(0) === query.readUInt16BE(0)) done(msg);
        });
        udp.on('connect', () => udp.send(query));
      } else {
        const tcp = tcpClient(ns, u.ip, port);
        sock = tcp;
        let got = Buffer.alloc(0);
        tcp.on('error', (err) => done(undefined, err.message));
        tcp.on('close', () => done(undefined, 'closed'));
        tcp.on('data', (d: Buffer) => {
          got = Buffer.concat([got, d]);
          if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0))
            done(got.subarray(2, 2 + got.readUInt16BE(0)));
        });
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        tcp.write(Buffer.concat([len, query]));
      }
    } catch (err) {
      done(undefined, (err as Error).message); // e.g. the namespace is gone
    }
  });
}

/** The upstreams' answer to `query`, or undefined when none gave one (the caller sends SERVFAIL). */
export async function forward(
  query: Buffer,
  proto: 'udp' | 'tcp',
  ctx: ForwardContext,
): Promise<Buffer | undefined> {
  let last: Buffer | undefined;
  for (const u of ctx.upstreams.slice(0, MAX_UPSTREAMS)) {
    if (ctx.signal?.aborted) break;
    const answer = await ask(u, query, proto, ctx);
    if (!answer) continue;
    let rcode: number;
    let authoritative: boolean;
    try {
      const flags = dnsPacket.decode(answer).flags ?? 0;
      rcode = flags & 0xf;
      authoritative = (flags & 0x400) !== 0;
    } catch {
      continue;
    }
    last = answer;
    if (rcode === RCODE_NOERROR || (rcode === RCODE_NXDOMAIN && authoritative)) return answer;
  }
  return last;
}
