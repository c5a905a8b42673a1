// Needs root (namespaces, iptables inside them). Every server here is on loopback (the host's or
// the test namespace's); the 10.199.77.0/24 addresses are only data in answers, never contacted.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, removeNetns, withNetns } from '../netns.js';
import { EndpointNameTable } from './names.js';
import { type Resolver, startResolver } from './resolver.js';
import { natTableIn } from './rules.js';
import { tcpClient, tcpServerIn, udpSocketIn } from './sockets.js';

const run = promisify(execFile);
const log = pino({ level: 'silent' });
const dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-dns-'));
const ns = path.join(dir, 'sandbox');
const rcode = (p: DecodedPacket) => (p.flags ?? 0) & 0xf;

const table = new EndpointNameTable();
table.setNetwork({ id: 'N1', name: 'n1' });
table.setEndpoint({ containerId: 'me', containerName: 'me', networkId: 'N1', ipv4: '10.199.77.2' });
table.setEndpoint({
  containerId: 'aaid',
  containerName: 'aa',
  networkId: 'N1',
  ipv4: '10.199.77.3',
  aliases: ['alpha'],
});
for (let i = 10; i < 70; i++) {
  table.setEndpoint({
    containerId: `b${i}`,
    containerName: `big_${i}`,
    networkId: 'N1',
    ipv4: `10.199.77.${i}`,
    aliases: ['big'],
  });
}

interface TestUpstream {
  port: number;
  queries: number;
  close(): Promise<void>;
}

/** A tiny DNS server on 127.0.0.1 (the host's, or the namespace's): *.upstream.test -> `ip`. */
async function startUpstream(where: string | undefined, ip: string): Promise<TestUpstream> {
  const answer = (msg: Buffer): Buffer => {
    up.queries++;
    const q = dnsPacket.decode(msg);
    const name = q.questions?.[0].name ?? '';
    const known = name.endsWith('upstream.test');
    return dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: known ? 0 : dnsPacket.AUTHORITATIVE_ANSWER | 3,
      questions: q.questions,
      answers: known ? [{ type: 'A', name, ttl: 5, data: ip }] : [],
    });
  };
  let udp: dgram.Socket;
  if (where) udp = udpSocketIn(where, '127.0.0.1', 0);
  else {
    udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  }
  udp.on('message', (m, r) => udp.send(answer(m), r.port, r.address));
  const port = udp.address().port;
  const onConn = (c: net.Socket) =>
    c.on('data', (d: Buffer) => {
      const out = answer(d.subarray(2, 2 + d.readUInt16BE(0)));
      const len = Buffer.alloc(2);
      len.writeUInt16BE(out.length);
      c.end(Buffer.concat([len, out]));
    });
  let tcp: net.Server;
  if (where) tcp = await tcpServerIn(where, '127.0.0.1', port);
  else {
    tcp = net.createServer();
    await new Promise<void>((resolve) => tcp.listen(port, '127.0.0.1', resolve));
  }
  tcp.on('connection', onConn);
  const up: TestUpstream = {
    port,
    queries: 0,
    close: async () => {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
  return up;
}

/** A UDP query sent from inside the namespace to 127.0.0.11:53, as a container would. */
function askUdp(name: string, type: RecordType, udpPayloadSize?: number, where = ns) {
  const sock = withNetns(where, () => {
    const s = dgram.createSocket({ type: 'udp4', lookup: (h, _o, cb) => cb(null, h, 4) });
    s.bind(0, '127.0.0.1');
    return s;
  });
  const additionals = udpPayloadSize
    ? [
        {
          type: 'OPT' as const,
          name: '.',
          udpPayloadSize,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ]
    : [];
  const q = dnsPacket.encode({
    type: 'query',
    id: 7,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name }],
    additionals,
  });
  return new Promise<{ packet: DecodedPacket; size: number; fromPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => (sock.close(), reject(new Error(`no answer for ${name}`))), 15_000);
    sock.on('message', (m, r) => {
      clearTimeout(timer);
      sock.close();
      resolve({ packet: dnsPacket.decode(m), size: m.length, fromPort: r.port });
    });
    sock.send(q, 53, '127.0.0.11');
  });
}

/** The same over TCP, with a client socket created inside the namespace. */
function askTcp(name: string, type: RecordType) {
  const c = tcpClient(ns, '127.0.0.11', 53);
  const q = dnsPacket.encode({
    type: 'query',
    id: 8,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name }],
  });
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length);
  c.write(Buffer.concat([len, q]));
  return new Promise<DecodedPacket>((resolve, reject) => {
    let got = Buffer.alloc(0);
    c.on('error', reject);
    c.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        c.destroy();
        resolve(dnsPacket.decode(got.subarray(2)));
      }
    });
  });
}

const nslookup = (...args: string[]) =>
  run('nsenter', [`--net=${ns}`, '/bin/busybox', 'nslookup', ...args], { timeout: 30_000 });

/** Local addresses (hex, as in /proc/net/{udp,tcp}) of the thread's current namespace. */
function boundOn(ip: string): string[] {
  const hex = Buffer.from(ip.split('.').map(Number))
    .readUInt32LE(0)
    .toString(16)
    .toUpperCase()
    .padStart(8, '0');
  const lines = ['udp', 'tcp'].flatMap((p) =>
    readFileSync(`/proc/thread-self/net/${p}`, 'utf8').split('\n').slice(1),
  );
  return lines.map((l) => l.trim().split(/\s+/)[1] ?? '').filter((local) => local.startsWith(`${hex}:`));
}

let hostUp: TestUpstream;
let nsUp: TestUpstream;
let resolver: Resolver;

beforeAll(async () => {
  createNetns(ns);
  hostUp = await startUpstream(undefined, '10.199.77.201');
  nsUp = await startUpstream(ns, '10.199.77.202');
  resolver = await startResolver({
    sandboxPath: ns,
    containerId: 'me',
    table,
    upstreams: [{ ip: '127.0.0.1', port: hostUp.port, hostLoopback: true }],
    log,
    upstreamTimeoutMs: 1500,
  });
});

afterAll(async () => {
  await resolver?.close();
  await hostUp?.close();
  await nsUp?.close();
  removeNetns(ns);
  rmSync(dir, { recursive: true, force: true });
});

describe('embedded DNS resolver in a sandbox namespace', () => {
  it('answers busybox nslookup for a name and an alias at 127.0.0.11', async () => {
    const { stdout } = await nslookup('aa', '127.0.0.11');
    expect(stdout).toMatch(/Name:\s+aa\nAddress: 10\.199\.77\.3/);
    expect((await nslookup('alpha', '127.0.0.11')).stdout).toContain('Address: 10.199.77.3');
  });

  it('answers PTR with name.network', async () => {
    expect((await nslookup('10.199.77.3', '127.0.0.11')).stdout).toContain('name = aa.n1');
    const { packet } = await askUdp('3.77.199.10.in-addr.arpa', 'PTR');
    expect(packet.answers?.[0]).toMatchObject({ type: 'PTR', data: 'aa.n1', ttl: 600 });
  });

  it('answers a repeated query from its cache until the name table changes', async () => {
    const first = await askUdp('alpha', 'A');
    const again = await askUdp('alpha', 'A');
    expect(again.packet.answers).toEqual(first.packet.answers);
    expect(again.packet.id).toBe(7);
    // aa moves to another address: the next answer says so at once.
    const aa = { containerId: 'aaid', containerName: 'aa', networkId: 'N1', aliases: ['alpha'] };
    table.setEndpoint({ ...aa, ipv4: '10.199.77.4' });
    try {
      expect(
        (await askUdp('alpha', 'A')).packet.answers?.map((r) => ('data' in r ? r.data : undefined)),
      ).toEqual(['10.199.77.4']);
    } finally {
      table.setEndpoint({ ...aa, ipv4: '10.199.77.3' });
    }
    expect(
      (await askUdp('alpha', 'A')).packet.answers?.map((r) => ('data' in r ? r.data : undefined)),
    ).toEqual(['10.199.77.3']);
  });

  it('answers from :53 (SNAT), TTL 600, RA, not authoritative; AAAA of an IPv4-only name is an empty NOERROR', async () => {
    const a = await askUdp('aa', 'A');
    expect(a.fromPort).toBe(53);
    expect(a.packet.answers).toEqual([
      { name: 'aa', type: 'A', class: 'IN', ttl: 600, flush: false, data: '10.199.77.3' },
    ]);
    expect([a.packet.flag_ra, a.packet.flag_aa]).toEqual([true, false]);
    const before = hostUp.queries;
    const aaaa = await askUdp('aa', 'AAAA');
    expect(rcode(aaaa.packet)).toBe(0);
    expect(aaaa.packet.answers).toEqual([]);
    expect(hostUp.queries).toBe(before); // not forwarded
  });

  it('forwards unknown names to a host-loopback upstream, over UDP and TCP', async () => {
    const u = await askUdp('www.upstream.test', 'A');
    expect(u.packet.answers?.[0]).toMatchObject({ data: '10.199.77.201' });
    const t = await askTcp('tcp.upstream.test', 'A');
    expect(t.answers?.[0]).toMatchObject({ data: '10.199.77.201' });
    const nx = await askUdp('nosuch.example', 'A');
    expect(rcode(nx.packet)).toBe(3); // the upstream's authoritative NXDOMAIN is relayed
    expect((await nslookup('www.upstream.test', '127.0.0.11')).stdout).toContain('Address: 10.199.77.201');
  });

  it("asks other upstreams from inside the container's namespace", async () => {
    try {
      resolver.setUpstreams([{ ip: '127.0.0.1', port: nsUp.port, hostLoopback: false }]);
      expect((await askUdp('www.upstream.test', 'A')).packet.answers?.[0]).toMatchObject({
        data: '10.199.77.202',
      });
      expect((await askTcp('www.upstream.test', 'A')).answers?.[0]).toMatchObject({ data: '10.199.77.202' });
      // The host's upstream is not reachable from inside: nothing listens on that port there.
      resolver.setUpstreams([{ ip: '127.0.0.1', port: hostUp.port, hostLoopback: false }]);
      expect(rcode((await askUdp('www.upstream.test', 'A')).packet)).toBe(2);
    } finally {
      resolver.setUpstreams([{ ip: '127.0.0.1', port: hostUp.port, hostLoopback: true }]);
    }
  });

  it('answers SERVFAIL when the upstreams are dead or absent, after trying the next one', async () => {
    const dead = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => dead.bind(0, '127.0.0.1', resolve));
    const deadPort = dead.address().port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    try {
      resolver.setUpstreams([{ ip: '127.0.0.1', port: deadPort, hostLoopback: true }]);
      const r = await askUdp('www.upstream.test', 'A');
      expect(rcode(r.packet)).toBe(2);
      expect(r.packet.flag_ra).toBe(true);
      resolver.setUpstreams([]);
      expect(rcode(await askTcp('www.upstream.test', 'A'))).toBe(2);
      resolver.setUpstreams([
        { ip: '127.0.0.1', port: deadPort, hostLoopback: true },
        { ip: '127.0.0.1', port: hostUp.port, hostLoopback: true },
      ]);
      expect((await askUdp('www.upstream.test', 'A')).packet.answers?.[0]).toMatchObject({
        data: '10.199.77.201',
      });
    } finally {
      resolver.setUpstreams([{ ip: '127.0.0.1', port: hostUp.port, hostLoopback: true }]);
    }
  });

  it('truncates a big UDP answer with TC, and gives all of it over TCP or with EDNS', async () => {
    const udp = await askUdp('big', 'A');
    expect(udp.size).toBeLessThanOrEqual(512);
    expect(udp.packet.flag_tc).toBe(true);
    expect(udp.packet.answers?.length).toBeLessThan(60);
    const tcp = await askTcp('big', 'A');
    expect(tcp.flag_tc).toBe(false);
    expect(new Set(tcp.answers?.map((a) => a.type === 'A' && a.data)).size).toBe(60);
    const edns = await askUdp('big', 'A', 4096);
    expect(edns.packet.flag_tc).toBe(false);
    expect(edns.packet.answers).toHaveLength(60);
  });

  it('binds nothing in the host namespace; inside, 127.0.0.11 and the six rules', async () => {
    expect(boundOn('127.0.0.11')).toEqual([]);
    const { stdout } = await run('ss', ['-Hlnut']);
    expect(stdout).not.toContain('127.0.0.11');
    const inside = withNetns(ns, () => boundOn('127.0.0.11'));
    const hexPort = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
    expect(inside.sort()).toEqual(
      [`0B00007F:${hexPort(resolver.tcpPort)}`, `0B00007F:${hexPort(resolver.udpPort)}`].sort(),
    );
    // A process in the container may still bind port 53 itself: the resolver is elsewhere.
    const own = withNetns(ns, () => {
      const s = dgram.createSocket({ type: 'udp4', lookup: (h, _o, cb) => cb(null, h, 4) });
      s.bind(53, '0.0.0.0');
      return s;
    });
    expect(own.address().port).toBe(53);
    await new Promise<void>((resolve) => own.close(() => resolve()));
    const nat = (await natTableIn(ns)).split('\n').filter((l) => l.startsWith('-A'));
    expect(nat).toEqual([
      '-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT',
      '-A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING',
      `-A DOCKER_OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.11:${resolver.tcpPort}`,
      `-A DOCKER_OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination 127.0.0.11:${resolver.udpPort}`,
      `-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p tcp -m tcp --sport ${resolver.tcpPort} -j SNAT --to-source :53`,
      `-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport ${resolver.udpPort} -j SNAT --to-source :53`,
    ]);
  });
});

describe('resolver lifecycle', () => {
  it('closes every fd it opened, idempotently, and restarts in a namespace that kept its rules', async () => {
    const other = path.join(dir, 'lifecycle');
    createNetns(other);
    try {
      const fds = () => readdirSync('/proc/self/fd').length;
      const before = fds();
      const first = await startResolver({ sandboxPath: other, containerId: 'me', table, upstreams: [], log });
      expect(fds()).toBeGreaterThan(before);
      await Promise.all([first.close(), first.close()]);
      await first.close();
      expect(fds()).toBe(before);
      expect(withNetns(other, () => boundOn('127.0.0.11'))).toEqual([]);

      const second = await startResolver({
        sandboxPath: other,
        containerId: 'me',
        table,
        upstreams: [],
        log,
        rulesMayExist: true,
      });
      try {
        const nat = await natTableIn(other);
        expect(nat.match(/-A OUTPUT /g)).toHaveLength(1);
        expect(nat.match(/-A POSTROUTING /g)).toHaveLength(1);
        expect(nat).toContain(`--to-destination 127.0.0.11:${second.udpPort}`);
        expect(nat).not.toContain(`--to-destination 127.0.0.11:${first.udpPort}\n`);
        const { stdout } = await run('nsenter', [
          `--net=${other}`,
          '/bin/busybox',
          'nslookup',
          'aa',
          '127.0.0.11',
        ]);
        expect(stdout).toContain('Address: 10.199.77.3');
      } finally {
        await second.close();
      }
      expect(fds()).toBe(before);
    } finally {
      removeNetns(other);
    }
  });

  it('gives up on a silent upstream after the timeout, and close() drops a pending forward', async () => {
    const other = path.join(dir, 'silent');
    createNetns(other);
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const upstreams = [{ ip: '127.0.0.1', port: silent.address().port, hostLoopback: true }];
      const fds = () => readdirSync('/proc/self/fd').length;
      const before = fds();
      const r = await startResolver({
        sandboxPath: other,
        containerId: 'me',
        table,
        upstreams,
        log,
        upstreamTimeoutMs: 300,
      });
      try {
        const t0 = performance.now();
        const answer = await askUdp('www.upstream.test', 'A', undefined, other);
        expect(rcode(answer.packet)).toBe(2);
        expect(performance.now() - t0).toBeGreaterThanOrEqual(280);
        r.setUpstreams(upstreams.map((u) => ({ ...u })));
      } finally {
        await r.close();
      }
      expect(fds()).toBe(before);

      const slow = await startResolver({
        sandboxPath: other,
        containerId: 'me',
        table,
        upstreams,
        log,
        rulesMayExist: true,
      });
      const client = withNetns(other, () => {
        const c = dgram.createSocket({ type: 'udp4', lookup: (h, _o, cb) => cb(null, h, 4) });
        c.bind(0, '127.0.0.1');
        return c;
      });
      const q = dnsPacket.encode({
        type: 'query',
        id: 9,
        questions: [{ type: 'A', name: 'www.upstream.test' }],
      });
      await new Promise<void>((resolve) => client.send(q, 53, '127.0.0.11', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await slow.close(); // the forward is still waiting for its 4 s: its socket must go too
      expect(fds()).toBe(before + 1); // only the test's own client socket is left
      await new Promise<void>((resolve) => client.close(() => resolve()));
    } finally {
      silent.close();
      removeNetns(other);
    }
  });

  it('fails cleanly, leaving no fd, when the rules cannot be installed', async () => {
    const other = path.join(dir, 'norules');
    createNetns(other);
    const savedPath = process.env.PATH;
    try {
      const fds = readdirSync('/proc/self/fd').length;
      process.env.PATH = '/usr/bin:/bin'; // nsenter is found, iptables-restore (sbin) is not
      await expect(
        startResolver({ sandboxPath: other, containerId: 'me', table, upstreams: [], log }),
      ).rejects.toThrow(/iptables-restore/);
      process.env.PATH = savedPath;
      expect(readdirSync('/proc/self/fd').length).toBe(fds);
      expect(withNetns(other, () => boundOn('127.0.0.11'))).toEqual([]);
    } finally {
      process.env.PATH = savedPath;
      removeNetns(other);
    }
  });

  it('fails cleanly, leaving no fd, when the namespace does not exist or is not one', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    const plain = path.join(dir, 'plain');
    writeFileSync(plain, '');
    await expect(
      startResolver({ sandboxPath: plain, containerId: 'me', table, upstreams: [], log }),
    ).rejects.toThrow(/setns/);
    await expect(
      startResolver({ sandboxPath: path.join(dir, 'missing'), containerId: 'me', table, upstreams: [], log }),
    ).rejects.toThrow(/ENOENT/);
    expect(readdirSync('/proc/self/fd').length).toBe(fds);
  });
});
