// The daemon's port table: which container holds which host ip:port/proto, with a held socket per
// entry. Allocation is all-or-nothing per container and fails with Docker's texts:
// `Bind for 0.0.0.0:18080 failed: port is already allocated` when the table already has it, and
// `Error starting userland proxy: listen tcp4 0.0.0.0:18080: bind: address already in use` when
// another process has it. Ephemeral ports come from ip_local_port_range, starting at its low end
// and moving on round-robin (as dockerd's port allocator), skipping ports in use.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { DockerError } from '../../errdefs/index.js';
import { BindError, type HeldSocket, type RelayTarget, holdPort, isV6Listenable } from './hold.js';
import type { PortRequest, Proto } from './parse.js';

/** One published host port, as `NetworkSettings.Ports` shows it. */
export interface PublishedPort {
  containerPort: number;
  proto: Proto;
  /** `0.0.0.0`, `::` or the address given. */
  hostIp: string;
  hostPort: number;
}

/** Where a container's published ports lead (the firewall needs it to build the DNAT rules). */
export interface PublishTarget {
  bridge: string;
  containerIp: string;
}

interface Entry extends PublishedPort {
  owner: string;
  target: PublishTarget;
  socket?: HeldSocket;
}

export class PortAllocationError extends DockerError {
  constructor(message: string) {
    super(message, 'System');
  }
}

export interface PortRange {
  low: number;
  high: number;
}

/** `/proc/sys/net/ipv4/ip_local_port_range`, or dockerd's fallback 49153-65535. */
export function localPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): PortRange {
  try {
    const [low, high] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low && high <= 65535) return { low, high };
  } catch {
    // fall through
  }
  return { low: 49153, high: 65535 };
}

export interface PortTableOptions {
  range?: PortRange;
  log?: Logger;
  /** Hold a socket per entry (default true; only unit tests of the bookkeeping turn it off). */
  holdSockets?: boolean;
}

const key = (ip: string, proto: Proto, port: number) => `${proto}/${ip}/${port}`;

export class PortTable {
  private readonly entries = new Map<string, Entry>();
  /** Round-robin position per `proto/ip/range`. */
  private readonly last = new Map<string, number>();
  private readonly range: PortRange;
  private readonly hold: boolean;
  private readonly log?: Logger;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: PortTableOptions = {}) {
    this.range = opts.range ?? localPortRange();
    this.hold = opts.holdSockets ?? true;
    this.log = opts.log;
  }

  /**
   * Allocates every request for `owner` (all or nothing). A request on all addresses gives two
   * entries, `0.0.0.0` and `::` (the latter only when IPv6 can be listened on).
   */
  allocate(owner: string, requests: PortRequest[], target: PublishTarget): Promise<PublishedPort[]> {
    return this.serial(async () => {
      const v6 = await isV6Listenable();
      const done: Entry[] = [];
      try {
        for (const r of requests) {
          const ips = r.hostIp !== '' ? [r.hostIp] : v6 ? ['0.0.0.0', '::'] : ['0.0.0.0'];
          for (const ip of ips) done.push(await this.allocateOne(owner, r, ip, target));
        }
      } catch (err) {
        for (const e of done) this.drop(e);
        throw err;
      }
      return done.map(view);
    });
  }

  /** After a daemon restart: takes back exactly these ports for `owner` (failures are logged, not fatal). */
  restore(owner: string, ports: PublishedPort[], target: PublishTarget): Promise<void> {
    return this.serial(async () => {
      for (const p of ports) {
        const k = key(p.hostIp, p.proto, p.hostPort);
        if (this.entries.has(k)) continue;
        const e: Entry = { ...p, owner, target };
        try {
          e.socket = await this.holdFor(e);
        } catch (err) {
          this.log?.warn({ err, owner, port: p }, 'could not hold a published port again after restart');
        }
        this.entries.set(k, e);
      }
    });
  }

  /** Releases everything `owner` holds (container stop); returns what was released. */
  release(owner: string): PublishedPort[] {
    const gone = [...this.entries.values()].filter((e) => e.owner === owner);
    for (const e of gone) this.drop(e);
    return gone.map(view);
  }

  /** What `owner` holds, with where it leads. */
  list(owner: string): (PublishedPort & { target: PublishTarget })[] {
    return [...this.entries.values()]
      .filter((e) => e.owner === owner)
      .map((e) => ({ ...view(e), target: e.target }));
  }

  /** Every owner with entries (for sweeps). */
  owners(): string[] {
    return [...new Set([...this.entries.values()].map((e) => e.owner))];
  }

  private async allocateOne(
    owner: string,
    r: PortRequest,
    ip: string,
    target: PublishTarget,
  ): Promise<Entry> {
    const base = { containerPort: r.containerPort, proto: r.proto, hostIp: ip, owner, target };
    if (r.hostPortStart !== 0 && r.hostPortStart === r.hostPortEnd) {
      const port = r.hostPortStart;
      if (this.entries.has(key(ip, r.proto, port)))
        throw new PortAllocationError(`Bind for ${ip}:${port} failed: port is already allocated`);
      const e: Entry = { ...base, hostPort: port };
      e.socket = await this.holdOrFail(e);
      this.entries.set(key(ip, r.proto, port), e);
      return e;
    }
    const low = r.hostPortStart || this.range.low;
    const high = r.hostPortEnd || this.range.high;
    const rr = `${r.proto}/${ip}/${low}-${high}`;
    const size = high - low + 1;
    const from = this.last.get(rr);
    for (let i = 0; i < size; i++) {
      const port = from === undefined ? low + i : low + ((from - low + 1 + i) % size);
      if (this.entries.has(key(ip, r.proto, port))) continue;
      const e: Entry = { ...base, hostPort: port };
      try {
        e.socket = await this.holdFor(e);
      } catch (err) {
        if (err instanceof BindError && err.code === 'EADDRINUSE') continue;
        throw new PortAllocationError(`Error starting userland proxy: ${(err as Error).message}`);
      }
      this.last.set(rr, port);
      this.entries.set(key(ip, r.proto, port), e);
      return e;
    }
    if (r.hostPortStart === 0) throw new PortAllocationError('all ports are allocated');
    throw new PortAllocationError(`Bind for ${ip}:${low}-${high} failed: port is already allocated`);
  }

  private async holdOrFail(e: Entry): Promise<HeldSocket | undefined> {
    try {
      return await this.holdFor(e);
    } catch (err) {
      throw new PortAllocationError(`Error starting userland proxy: ${(err as Error).message}`);
    }
  }

  private async holdFor(e: Entry): Promise<HeldSocket | undefined> {
    if (!this.hold) return undefined;
    const relay: RelayTarget = { ip: e.target.containerIp, port: e.containerPort };
    return holdPort(e.proto, e.hostIp, e.hostPort, relay);
  }

  private drop(e: Entry): void {
    e.socket?.close();
    this.entries.delete(key(e.hostIp, e.proto, e.hostPort));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => {});
    return p;
  }
}

function view(e: PublishedPort): PublishedPort {
  return { containerPort: e.containerPort, proto: e.proto, hostIp: e.hostIp, hostPort: e.hostPort };
}
