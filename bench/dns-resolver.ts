// Micro-benchmark of the embedded DNS resolver alone (not part of `npm run bench`, needs root):
//   node --import tsx bench/dns-resolver.ts
// In a pinned namespace of its own: resolver start+close (sockets + iptables-restore), 1,000
// sequential UDP lookups of a container name from an in-process client inside the namespace,
// 1,000 forwarded lookups to a loopback upstream run by this script, and 1,000 `busybox nslookup`
// runs in one shell loop (what a container doing `nslookup` in a loop costs).
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import pino from 'pino';
import { EndpointNameTable, type ResolverOptions, startResolver } from '../dockerd/network/dns/index.js';
import { createNetns, removeNetns, withNetns } from '../dockerd/network/netns.js';

const N = Number(process.env.DNS_BENCH_N ?? 1000);
const log = pino({ level: 'silent' });

function clientIn(ns: string): dgram.Socket {
  return withNetns(ns, () => {
    const s = dgram.createSocket({ type: 'udp4', lookup: (h, _o, cb) => cb(null, h, 4) });
    s.bind(0, '127.0.0.1');
    return s;
  });
}

async function lookups(client: dgram.Socket, name: string, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const q = dnsPacket.encode({ type: 'query', id: i & 0xffff, questions: [{ type: 'A', name }] });
    await new Promise<void>((resolve) => {
      client.once('message', () => resolve());
      client.send(q, 53, '127.0.0.11');
    });
  }
  return performance.now() - t0;
}

/** Median start time over 20 fresh namespaces (or one namespace reused, `mayExist`). */
async function startTimes(
  dir: string,
  opts: Omit<ResolverOptions, 'sandboxPath'>,
  mayExist: boolean,
): Promise<number> {
  const times: number[] = [];
  const shared = path.join(dir, 'shared');
  if (mayExist) createNetns(shared);
  for (let i = 0; i < 20; i++) {
    const ns = mayExist ? shared : path.join(dir, `fresh-${i}`);
    if (!mayExist) createNetns(ns);
    const t0 = performance.now();
    const r = await startResolver({ ...opts, sandboxPath: ns, rulesMayExist: mayExist });
    times.push(performance.now() - t0);
    await r.close();
    if (!mayExist) removeNetns(ns);
  }
  if (mayExist) removeNetns(shared);
  return times.sort((a, b) => a - b)[10];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-dns-bench-'));
  const ns = path.join(dir, 'ns');
  createNetns(ns);
  const upstream = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', resolve));
  upstream.on('message', (m, r) => {
    const q = dnsPacket.decode(m);
    const answers = [{ type: 'A' as const, name: q.questions?.[0].name ?? '', data: '10.199.88.1' }];
    upstream.send(
      dnsPacket.encode({ type: 'response', id: q.id, questions: q.questions, answers }),
      r.port,
      r.address,
    );
  });
  const table = new EndpointNameTable();
  table.setNetwork({ id: 'N', name: 'benchnet' });
  for (let i = 2; i < 52; i++) {
    table.setEndpoint({
      containerId: `c${i}`,
      containerName: `c${i}`,
      networkId: 'N',
      ipv4: `10.199.88.${i}`,
    });
  }
  const opts = {
    sandboxPath: ns,
    containerId: 'c2',
    table,
    upstreams: [{ ip: '127.0.0.1', port: upstream.address().port, hostLoopback: true }],
    log,
  };
  try {
    const starts = await startTimes(dir, opts, false);
    const restarts = await startTimes(dir, opts, true);
    const resolver = await startResolver({ ...opts, rulesMayExist: true });
    const client = clientIn(ns);
    await lookups(client, 'c30', 100); // warm-up
    const local = await lookups(client, 'c30', N);
    const forwarded = await lookups(client, 'www.example.test', N);
    client.close();
    const t0 = performance.now();
    const loop = `i=0; while [ $i -lt ${N} ]; do busybox nslookup c30 127.0.0.11 >/dev/null || exit 1; i=$((i+1)); done`;
    await promisify(execFile)('nsenter', [`--net=${ns}`, '/bin/busybox', 'sh', '-c', loop]);
    const shell = performance.now() - t0;
    await resolver.close();
    const row = (what: string, ms: number) =>
      process.stdout.write(`${what.padEnd(52)} ${ms.toFixed(1)} ms\n`);
    row('resolver start in a fresh netns, median of 20', starts);
    row('restart in a netns that kept its rules, median', restarts);
    row(`${N} UDP lookups of a container name (in-process client)`, local);
    row(`${N} forwarded lookups (loopback upstream)`, forwarded);
    row(`${N} x busybox nslookup (A+AAAA each) in a shell loop`, shell);
  } finally {
    upstream.close();
    removeNetns(ns);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
