// The API fuzzer's loop: a live tsctr-dockerd on its own tsctrd (dockerd-harness.ts: own bridge,
// chain prefix, --dns 127.0.0.1, cleaned up), the busybox test image from the local registry, then
// for `seconds`: Docker API requests (generate.ts) and gRPC calls to tsctrd (grpc.ts), a few at a
// time. Invariants: no 5xx but an endpoint's documented ones, no gRPC UNKNOWN/INTERNAL, both daemons
// alive, their RSS bounded. At the end every object the fuzzer created is removed.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerFixture } from '../../dockerd-harness.js';
import { usage } from '../../chaos/procs.js';
import { Rng } from '../../rng.js';
import { tarOf } from '../../testimages.js';
import { exchange } from './http.js';
import { generate, type World } from './generate.js';
import { GrpcFuzzer, grpcServerFault, METHODS } from './grpc.js';
import { ENDPOINTS, type Pool } from './spec.js';

export interface ApiFault {
  kind: 'http-5xx' | 'grpc-fault' | 'daemon-died' | 'rss';
  request: string;
  status: number;
  body: string;
}

export interface ApiReport {
  seed: number;
  seconds: number;
  requests: number;
  byClass: Record<string, number>;
  /** Documented 5xx seen (allowed by spec.ts). */
  allowed5xx: number;
  grpcCalls: number;
  grpcByCode: Record<string, number>;
  faults: ApiFault[];
  /** Requests (well framed) the daemon closed without an answer: a few, to look at. */
  closedSamples: string[];
  rssKb: { dockerdStart: number; dockerdEnd: number; tsctrdStart: number; tsctrdEnd: number };
  pools: Record<string, number>;
}

const LIMIT_DOCKERD_GROWTH_KB = 256 * 1024;
const LIMIT_TSCTRD_GROWTH_KB = 256 * 1024;

export async function runApiFuzz(seconds: number, seed: number): Promise<ApiReport> {
  const fx = await dockerFixture();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tsctr-apifuzz-'));
  mkdirSync(path.join(tmp, 'b'));
  const grpc = new GrpcFuzzer(fx.d.tsctrd.address);
  const rng = new Rng(seed);
  const pools: Record<Pool, string[]> = {
    container: [],
    image: [],
    network: [],
    volume: [],
    exec: [],
    swarm: [],
  };
  const w: World = {
    ref: fx.ref,
    registry: fx.reg.host,
    tmp,
    pools,
    context: await tarOf([{ name: 'Dockerfile', data: `FROM ${fx.ref}\nRUN true\nLABEL fz=1\n` }]),
    tar: await tarOf([
      { name: 'manifest.json', data: '[]' },
      { name: 'a', data: 'x' },
    ]),
  };
  const report: ApiReport = {
    seed,
    seconds,
    requests: 0,
    byClass: {},
    allowed5xx: 0,
    grpcCalls: 0,
    grpcByCode: {},
    faults: [],
    closedSamples: [],
    rssKb: { dockerdStart: 0, dockerdEnd: 0, tsctrdStart: 0, tsctrdEnd: 0 },
    pools: {},
  };
  const dpid = fx.d.proc!.pid!;
  const tpid = fx.d.tsctrd.proc!.pid!;
  report.rssKb.dockerdStart = usage(dpid).rssKb;
  report.rssKb.tsctrdStart = usage(tpid).rssKb;
  const alive = () => fx.d.proc!.exitCode === null && fx.d.tsctrd.proc!.exitCode === null;
  const deadline = Date.now() + seconds * 1000;

  const httpWorker = async () => {
    while (Date.now() < deadline && alive()) {
      const r = generate(rng, ENDPOINTS, w);
      const res = await exchange(fx.d.socket, r.head, r.body, r.ep.stream || r.brokenFraming ? 2000 : 15_000);
      report.requests++;
      const cls = res.status > 0 ? `${Math.floor(res.status / 100)}xx` : res.timedOut ? 'timeout' : 'closed';
      report.byClass[cls] = (report.byClass[cls] ?? 0) + 1;
      const line = r.head.split('\r\n')[0];
      if (res.status === 0 && !r.brokenFraming && report.closedSamples.length < 10)
        report.closedSamples.push(`${r.head.slice(0, 300)} ${r.body.toString('utf8').slice(0, 200)}`);
      if (res.status >= 500) {
        if (r.ep.allow5xx?.includes(res.status)) report.allowed5xx++;
        else if (report.faults.length < 50)
          report.faults.push({
            kind: 'http-5xx',
            request: `${line} ${r.body.toString('utf8').slice(0, 600)}`,
            status: res.status,
            body: res.body.slice(0, 600),
          });
      }
      if (res.status === 201 || res.status === 200) {
        try {
          const j = JSON.parse(res.body) as { Id?: string; Name?: string };
          if (r.ep.path === '/containers/create' && j.Id) pools.container.push(j.Id);
          if (r.ep.path === '/containers/{id}/exec' && j.Id) pools.exec.push(j.Id);
          if (r.ep.path === '/networks/create' && j.Id) pools.network.push(j.Id);
          if (r.ep.path === '/volumes/create' && j.Name) pools.volume.push(j.Name);
        } catch {
          // not JSON (streams)
        }
        if (r.adds) pools[r.adds.pool].push(r.adds.name);
      }
      if (r.ep.method === 'DELETE' && res.status >= 200 && res.status < 300) {
        const id = decodeURIComponent(line.split(' ')[1].split('?')[0].split('/').pop() ?? '');
        const pool = pools[r.ep.ids!];
        const i = pool.indexOf(id);
        if (i >= 0) pool.splice(i, 1);
      }
      // Keep the daemon's object count bounded: the oldest container goes.
      if (pools.container.length > 25) {
        const id = pools.container.shift()!;
        await exchange(
          fx.d.socket,
          `DELETE /containers/${id}?force=1 HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n`,
          Buffer.alloc(0),
          20_000,
        );
      }
      if (pools.exec.length > 50) pools.exec.splice(0, 25);
    }
  };
  const grpcWorker = async () => {
    while (Date.now() < deadline && alive()) {
      const m = rng.pick(METHODS);
      const res = await grpc.call(m, rng);
      report.grpcCalls++;
      const k = String(res.code);
      report.grpcByCode[k] = (report.grpcByCode[k] ?? 0) + 1;
      if (grpcServerFault(res.code, res.details) && report.faults.length < 50)
        report.faults.push({
          kind: 'grpc-fault',
          request: res.method,
          status: res.code,
          body: res.details.slice(0, 600),
        });
    }
  };
  try {
    await Promise.all([httpWorker(), httpWorker(), httpWorker(), grpcWorker()]);
    if (!alive())
      report.faults.push({
        kind: 'daemon-died',
        request: '',
        status: 0,
        body: `${fx.d.stderr.slice(-2000)}\n${fx.d.tsctrd.stderr.slice(-2000)}`,
      });
    report.rssKb.dockerdEnd = usage(dpid).rssKb;
    report.rssKb.tsctrdEnd = usage(tpid).rssKb;
    if (
      report.rssKb.dockerdEnd - report.rssKb.dockerdStart > LIMIT_DOCKERD_GROWTH_KB ||
      report.rssKb.tsctrdEnd - report.rssKb.tsctrdStart > LIMIT_TSCTRD_GROWTH_KB
    )
      report.faults.push({ kind: 'rss', request: '', status: 0, body: JSON.stringify(report.rssKb) });
    report.pools = Object.fromEntries(Object.entries(pools).map(([k, v]) => [k, v.length]));
    // Everything the fuzzer made goes (the daemons' own cleanup removes the rest with their roots).
    const del = (p: string) =>
      exchange(
        fx.d.socket,
        `DELETE ${p} HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n`,
        Buffer.alloc(0),
        20_000,
      );
    if (alive()) {
      for (const id of pools.container) await del(`/containers/${id}?force=1&v=1`);
      for (const id of pools.network) await del(`/networks/${id}`);
      for (const id of pools.volume) await del(`/volumes/${encodeURIComponent(id)}?force=1`);
      // Networks made by a request whose answer we did not see: every user network here is ours.
      const list = await exchange(
        fx.d.socket,
        'GET /networks HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n',
        Buffer.alloc(0),
        20_000,
      );
      try {
        for (const n of JSON.parse(list.body) as Array<{ Id: string; Name: string }>)
          if (!['bridge', 'host', 'none'].includes(n.Name)) await del(`/networks/${n.Id}`);
      } catch {
        // not JSON: nothing more to remove
      }
    }
  } finally {
    grpc.close();
    await fx.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  return report;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const seconds = Number(args[args.indexOf('--seconds') + 1] || 30);
  const seed = Number(
    args.includes('--seed') ? args[args.indexOf('--seed') + 1] : Math.floor(Math.random() * 2 ** 31),
  );
  const r = await runApiFuzz(seconds, seed);
  process.stdout.write(`APIFUZZ ${JSON.stringify(r)}\n`);
}

if (process.argv[1]?.endsWith('run-api.ts')) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String(err instanceof Error ? err.stack : err)}\n`);
    process.exit(1);
  });
}
