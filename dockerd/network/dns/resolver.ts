// One embedded DNS server per container sandbox, owned by this process (no helper process): UDP
// and TCP sockets on 127.0.0.11:<random> inside the container's namespace, the DNAT rules that
// bring 127.0.0.11:53 to them, answers from the name table and forwarding of the rest.
import type dgram from 'node:dgram';
import type net from 'node:net';
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import type { Logger } from 'pino';
import { MAX_TCP_SIZE, answerLocally, encodeReply, serverFailure, udpLimit } from './answer.js';
import { type Upstream, forward } from './forward.js';
import type { NameTable } from './names.js';
import { installDnatRules } from './rules.js';
import { RESOLVER_IP, tcpServerIn, udpSocketIn } from './sockets.js';

export interface ResolverOptions {
  /** The pinned network namespace of the sandbox (`createNetns`). */
  sandboxPath: string;
  /** The container the sandbox belongs to: answers cover only its networks. */
  containerId: string;
  table: NameTable;
  /** Where unknown names go (the first three are used); empty: SERVFAIL for them. */
  upstreams: readonly Upstream[];
  log: Logger;
  /** From `embeddedResolvConf`: the user set ndots, so bare unknown names are not forwarded. */
  ndotsSet?: boolean;
  /** The namespace may already hold the rules (daemon restarted while the container ran). */
  rulesMayExist?: boolean;
  /** Per upstream; 4000 ms as Docker unless a test says otherwise. */
  upstreamTimeoutMs?: number;
}

export interface Resolver {
  /** The random ports on 127.0.0.11 inside the namespace that :53 is DNATed to. */
  readonly udpPort: number;
  readonly tcpPort: number;
  /** Replaces the upstreams (e.g. the daemon's --dns changed); takes effect for the next query. */
  setUpstreams(upstreams: readonly Upstream[]): void;
  /** Closes both sockets and every connection; idempotent. The rules go with the namespace. */
  close(): Promise<void>;
}

/** Docker's cap on queries being forwarded at once by one resolver. */
/** Distinct local answers kept per resolver. */
const CACHE_MAX = 256;
const MAX_CONCURRENT_FORWARDS = 1024;
/** A TCP client that stays silent this long is dropped (miekg/dns' idle timeout). */
const TCP_IDLE_MS = 8000;

class EmbeddedResolver implements Resolver {
  private upstreams: readonly Upstream[];
  private forwarding = 0;
  private readonly conns = new Set<net.Socket>();
  private closing: Promise<void> | undefined;
  private readonly abort = new AbortController();
  readonly udpPort: number;
  readonly tcpPort: number;

  constructor(
    private readonly opts: ResolverOptions,
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
  ) {
    this.upstreams = [...opts.upstreams];
    this.udpPort = udp.address().port;
    const bound = tcp.address();
    this.tcpPort = typeof bound === 'object' && bound ? bound.port : 0;
    udp.on('message', (msg, from) => void this.onDatagram(msg, from));
    udp.on('error', (err) => opts.log.warn({ err, container: opts.containerId }, 'dns udp socket error'));
    tcp.on('connection', (c) => this.onConnection(c));
    tcp.on('error', (err) => opts.log.warn({ err, container: opts.containerId }, 'dns tcp socket error'));
  }

  /**
   * Local answers by the query's bytes after its ID (so flags, question and EDNS size match), valid
   * while the name table's version is unchanged; the reply gets the query's ID.
   */
  private readonly cache = new Map<string, Buffer>();
  private cacheVersion: number | undefined;

  private fromCache(msg: Buffer, proto: 'udp' | 'tcp'): Buffer | undefined {
    const v = this.opts.table.version;
    if (v === undefined || msg.length < 12) return undefined;
    if (v !== this.cacheVersion) {
      this.cache.clear();
      this.cacheVersion = v;
      return undefined;
    }
    const hit = this.cache.get(proto + msg.toString('latin1', 2));
    if (!hit) return undefined;
    const out = Buffer.from(hit);
    msg.copy(out, 0, 0, 2);
    return out;
  }

  private toCache(msg: Buffer, proto: 'udp' | 'tcp', reply: Buffer): void {
    if (this.opts.table.version === undefined || msg.length < 12 || this.cache.size >= CACHE_MAX) return;
    this.cacheVersion = this.opts.table.version;
    this.cache.set(proto + msg.toString('latin1', 2), reply);
  }

  setUpstreams(upstreams: readonly Upstream[]): void {
    this.upstreams = [...upstreams];
  }

  /** The encoded reply to one message, or undefined when it deserves none. */
  private async reply(msg: Buffer, proto: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined; // not DNS
    }
    if (query.type !== 'query' || !query.questions?.length) return undefined;
    const limit = proto === 'udp' ? udpLimit(query) : MAX_TCP_SIZE;
    const { table, containerId: asker, ndotsSet, log } = this.opts;
    const cached = this.fromCache(msg, proto);
    if (cached) return cached;
    const verdict = answerLocally(query, { table, asker, ndotsSet });
    if (verdict.kind === 'reply') {
      const out = encodeReply(verdict.packet, limit, proto === 'udp');
      // One answer or none can be replayed as is (several are shuffled for every query).
      if ((verdict.packet.answers?.length ?? 0) <= 1) this.toCache(msg, proto, out);
      return out;
    }
    if (this.forwarding >= MAX_CONCURRENT_FORWARDS) {
      log.warn({ container: asker }, `dns: more than ${MAX_CONCURRENT_FORWARDS} concurrent queries`);
      return encodeReply(serverFailure(query), limit, proto === 'udp');
    }
    this.forwarding++;
    try {
      const answer = await forward(msg, proto, {
        sandboxPath: this.opts.sandboxPath,
        upstreams: this.upstreams,
        log,
        timeoutMs: this.opts.upstreamTimeoutMs,
        signal: this.abort.signal,
      });
      return answer ?? encodeReply(serverFailure(query), limit, proto === 'udp');
    } finally {
      this.forwarding--;
    }
  }

  private async onDatagram(msg: Buffer, from: dgram.RemoteInfo): Promise<void> {
    const out = await this.reply(msg, 'udp');
    if (out && !this.closing) this.udp.send(out, from.port, from.address, () => undefined);
  }

  private onConnection(c: net.Socket): void {
    this.conns.add(c);
    c.setTimeout(TCP_IDLE_MS, () => c.destroy());
    c.on('close', () => this.conns.delete(c));
    c.on('error', () => c.destroy());
    let pending = Buffer.alloc(0);
    c.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const msg = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + msg.length);
        void this.reply(msg, 'tcp').then((out) => {
          if (!out || c.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          c.write(Buffer.concat([len, out]));
        });
      }
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.abort.abort();
      for (const c of this.conns) c.destroy();
      await Promise.all([
        new Promise<void>((resolve) => this.udp.close(() => resolve())),
        new Promise<void>((resolve) => this.tcp.close(() => resolve())),
      ]);
      this.opts.log.debug({ container: this.opts.containerId }, 'dns resolver closed');
    })();
    return this.closing;
  }
}

/** Starts the resolver of one sandbox: sockets in its namespace, then the DNAT rules there. */
export async function startResolver(opts: ResolverOptions): Promise<Resolver> {
  const udp = udpSocketIn(opts.sandboxPath, RESOLVER_IP, 0);
  let tcp: net.Server;
  try {
    tcp = await tcpServerIn(opts.sandboxPath, RESOLVER_IP, 0);
  } catch (err) {
    udp.close();
    throw err;
  }
  const resolver = new EmbeddedResolver(opts, udp, tcp);
  try {
    await installDnatRules(opts.sandboxPath, resolver.udpPort, resolver.tcpPort, opts.rulesMayExist);
  } catch (err) {
    await resolver.close();
    throw err;
  }
  opts.log.debug(
    { container: opts.containerId, udpPort: resolver.udpPort, tcpPort: resolver.tcpPort },
    'dns resolver started',
  );
  return resolver;
}
