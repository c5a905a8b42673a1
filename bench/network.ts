// Docker networking rows (issue 10, BENCH=network): the same docker CLI 28 commands against tsctr-dockerd
// (over tsctrd) and Debian's dockerd 20.10, both with real networking (bridge, iptables, published ports,
// embedded DNS), in one run, alternating. Traffic goes only to 127.0.0.1 and the containers.
//   1. `docker run --rm busybox echo hi` on the default bridge;
//   2. BENCH_NET_MIB (1 GiB) from a host-side client through a port published on 127.0.0.1 into
//      `nc -l -p 80 -e dd of=/dev/null bs=1M` (dockerd: docker-proxy; tsctr: kernel DNAT), MB/s (a
//      plain `nc > /dev/null` reads 1-4 KiB at a time and tops out near 540 MB/s here, hiding the path);
//   3. new TCP connections per second through a published port (busybox httpd, a tiny file, one
//      `GET` per connection from 4 concurrent host-side clients, for BENCH_NET_CONN_MS);
//   4. 1,000 lookups of a container's name from inside another container on a user network, by one
//      Node process entered into that container's netns (nsenter), querying 127.0.0.11 in sequence;
//   5. `docker network create` + `docker network rm`.
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { type RunningRegistry, startRegistry } from '../client/remotes/testing/registry-process.js';
import { Registry } from '../client/remotes/index.js';
import { busybox } from '../integration/testimages.js';
import { median } from './lib.js';
import { type NetEngine, startDockerdNet, startTsctrNet } from './network-daemons.js';

const MIB = Number(process.env.BENCH_NET_MIB ?? 1024);
const CONN_MS = Number(process.env.BENCH_NET_CONN_MS ?? 3000);
const CONN_PARALLEL = 4;
const LOOKUPS = 1000;

export interface NetRow {
  what: string;
  unit: string;
  ours: number[];
  anchor: number[];
  goal: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `mib` MiB to 127.0.0.1:port, half-closes, waits for the server's close; MB/s. */
function push(port: number, mib: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1 << 20, 0x61);
    // Half-open: the sink shuts its side at once (its stdin is empty), the data still flows our way.
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const timer = setTimeout(() => s.destroy(new Error(`push to :${port} took over 120 s`)), 120_000);
    let t0 = 0;
    let sent = 0;
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    const pump = () => {
      while (sent < mib) {
        sent++;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      s.end();
    };
    s.once('connect', () => {
      t0 = performance.now();
      pump();
    });
    s.resume(); // nothing comes back but the close
    s.once('close', (hadError) => {
      clearTimeout(timer);
      if (hadError) return;
      if (sent < mib) return reject(new Error(`connection to :${port} closed after ${sent} MiB`));
      resolve((mib * 1.048576) / ((performance.now() - t0) / 1000));
    });
  });
}

/** One connection: `GET /` and the whole answer; rejects unless it is a 200. */
function get(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let head = '';
    s.setTimeout(10_000, () => s.destroy(new Error('GET timed out')));
    s.once('error', reject);
    s.on('data', (b: Buffer) => {
      if (head.length < 16) head += b.toString('latin1');
    });
    s.once('connect', () => s.write('GET / HTTP/1.0\r\n\r\n'));
    s.once('end', () => (/^HTTP\/1\.[01] 200/.test(head) ? resolve() : reject(new Error(`answer ${head}`))));
  });
}

/** Connections per second over `ms`, CONN_PARALLEL clients each doing one GET after another. */
async function connRate(port: number, ms: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() - t0 < ms) {
      await get(port);
      n++;
    }
  };
  await Promise.all(Array.from({ length: CONN_PARALLEL }, worker));
  return n / ((performance.now() - t0) / 1000);
}

/** Retries `fn` until it succeeds (the server in a just-started container may not listen yet). */
async function ready(what: string, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await fn();
      return;
    } catch (e) {
      if (i >= 50) throw new Error(`${what}: ${(e as Error).message}`);
      await sleep(200);
    }
  }
}

// Runs in the asking container's netns: `n` A queries of `name` to 127.0.0.11, one after another; prints ms.
const DNS_CLIENT = `
const dgram = require('node:dgram');
const [name, n] = [process.argv[1], Number(process.argv[2])];
const q = (id) => Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
  ...name.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]), Buffer.from([0, 0, 1, 0, 1])]);
const s = dgram.createSocket('udp4');
const ask = (id) => new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error('no answer in 2 s')), 2000);
  const on = (m) => {
    if (m.readUInt16BE(0) !== id) return;
    clearTimeout(t); s.off('message', on);
    if ((m[3] & 15) !== 0 || m.readUInt16BE(6) < 1) reject(new Error('rcode ' + (m[3] & 15) + ', ' + m.readUInt16BE(6) + ' answers'));
    else resolve();
  };
  s.on('message', on);
  s.send(q(id), 53, '127.0.0.11');
});
(async () => {
  for (let i = 0; i < 20; i++) await ask(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await ask((i + 100) & 0xffff);
  process.stdout.write(String(performance.now() - t0));
  s.close();
})().catch((e) => { process.stderr.write(String(e)); process.exit(1); });
`;

async function lookups(e: NetEngine, asker: string, name: string): Promise<number> {
  const key = e.docker(['inspect', '-f', '{{.NetworkSettings.SandboxKey}}', asker]).out.trim();
  if (!key) throw new Error(`${e.name}: ${asker} has no SandboxKey`);
  const { stdout } = await promisify(execFile)(
    'nsenter',
    [`--net=${key}`, process.execPath, '-e', DNS_CLIENT, name, String(LOOKUPS)],
    { timeout: 120_000 },
  );
  return Number(stdout);
}

/** Runs `fn` for each engine in turn, `n` times (A B A B …), keeping rounds after the first `skip`. */
async function alternate(
  engines: NetEngine[],
  row: NetRow,
  n: number,
  fn: (e: NetEngine, i: number) => Promise<number> | number,
  skip = 0,
): Promise<void> {
  for (let i = 0; i < n + skip; i++)
    for (const e of engines) {
      const x = await fn(e, i);
      if (i >= skip) (e.name === 'tsctr' ? row.ours : row.anchor).push(x);
    }
}

export async function networkRows(
  base: string,
  rounds: number,
): Promise<{ rows: NetRow[]; anchored: boolean }> {
  const reg: RunningRegistry = await startRegistry();
  const engines: NetEngine[] = [];
  const rows: NetRow[] = [];
  try {
    const img = await busybox();
    const r = new Registry({});
    const ref = `${reg.host}/busybox:bench`;
    for (const l of [...img.layers, img.config]) await r.pushBlob(ref, l, l.data);
    await r.pushManifest(ref, img.manifest, img.manifest.data, { tag: 'bench' });
    engines.push(await startTsctrNet(path.join(base, 'net-tsctr')));
    const theirs = await startDockerdNet(path.join(base, 'net-dockerd'));
    if (theirs) engines.push(theirs);
    for (const e of engines) e.docker(['pull', '-q', ref]);

    const run: NetRow = {
      what: '`docker run --rm busybox echo hi` (default bridge)',
      unit: 'ms',
      ours: [],
      anchor: [],
      goal: '≤ 0.5×',
    };
    await alternate(
      engines,
      run,
      rounds,
      (e) => {
        const x = e.docker(['run', '--rm', ref, 'echo', 'hi']);
        if (x.out !== 'hi\n') throw new Error(`${e.name}: unexpected output ${JSON.stringify(x.out)}`);
        return x.ms;
      },
      1,
    );
    rows.push(run);

    // Published-port servers: a sink (nc, restarted after each connection) and busybox httpd.
    const ports = new Map<NetEngine, { sink: number; web: number }>();
    for (const e of engines) {
      const p = { sink: await freePort(), web: await freePort() };
      ports.set(e, p);
      e.docker([
        'run',
        '-d',
        '--name',
        'sink',
        '-p',
        `127.0.0.1:${p.sink}:80`,
        ref,
        'sh',
        '-c',
        'while :; do nc -l -p 80 -e dd of=/dev/null bs=1M 2>/dev/null; done',
      ]);
      e.docker([
        'run',
        '-d',
        '--name',
        'web',
        '-p',
        `127.0.0.1:${p.web}:80`,
        ref,
        'sh',
        '-c',
        'mkdir /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www',
      ]);
    }
    for (const e of engines) {
      const p = ports.get(e)!;
      await ready(`${e.name} sink`, () => push(p.sink, 8));
      await ready(`${e.name} httpd`, () => get(p.web));
    }
    const thr: NetRow = {
      what: `${MIB} MiB through a port published on 127.0.0.1`,
      unit: 'MB/s',
      ours: [],
      anchor: [],
      goal: '≥ 2× (throughput)',
    };
    await alternate(engines, thr, rounds, async (e) => {
      await sleep(300); // nc restarts after the previous connection
      return push(ports.get(e)!.sink, MIB);
    });
    rows.push(thr);
    const conns: NetRow = {
      what: `new TCP connections/s through a published port (httpd, ${CONN_PARALLEL} clients)`,
      unit: 'conn/s',
      ours: [],
      anchor: [],
      goal: '≥ 1.5× (rate)',
    };
    await alternate(engines, conns, rounds, (e) => connRate(ports.get(e)!.web, CONN_MS));
    rows.push(conns);
    for (const e of engines) e.docker(['rm', '-f', 'sink', 'web']);

    // DNS: two containers on a user network, one asks for the other's name.
    for (const e of engines) {
      e.docker(['network', 'create', 'benchdns']);
      for (const n of ['target', 'asker'])
        e.docker(['run', '-d', '--name', n, '--network', 'benchdns', ref, 'sleep', '600']);
    }
    const dns: NetRow = {
      what: `${LOOKUPS} DNS lookups of a container name from a container (127.0.0.11, one process)`,
      unit: 'ms',
      ours: [],
      anchor: [],
      goal: '≤ 1.0×',
    };
    // The first round only warms up (the resolvers' code paths; a long-running daemon is warm).
    await alternate(engines, dns, rounds, (e) => lookups(e, 'asker', 'target'), 1);
    rows.push(dns);
    for (const e of engines) {
      e.docker(['rm', '-f', 'target', 'asker']);
      e.docker(['network', 'rm', 'benchdns']);
    }

    const netc: NetRow = {
      what: '`docker network create` + `docker network rm`',
      unit: 'ms',
      ours: [],
      anchor: [],
      goal: '≤ 0.5×',
    };
    await alternate(
      engines,
      netc,
      rounds,
      (e, i) =>
        e.docker(['network', 'create', `benchnet${i}`]).ms + e.docker(['network', 'rm', `benchnet${i}`]).ms,
      1,
    );
    rows.push(netc);
  } finally {
    for (const e of engines.reverse())
      await e
        .cleanup()
        .catch((err: Error) => process.stderr.write(`bench: ${e.name} cleanup: ${err.message}\n`));
    await reg.stop();
  }
  return { rows, anchored: engines.some((e) => e.name === 'dockerd') };
}

export function networkReport(rows: NetRow[], anchored: boolean, rounds: number): string {
  const lines = [
    '',
    '| what | tsctr (median) | dockerd 20.10 (median) | ratio tsctr/dockerd | goal |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const a = median(r.ours);
    const b = anchored ? median(r.anchor) : NaN;
    lines.push(
      `| ${r.what} | ${a.toFixed(1)} ${r.unit} | ${anchored ? `${b.toFixed(1)} ${r.unit}` : 'not installed here'} | ${anchored ? `${(a / b).toFixed(2)}×` : '—'} | ${r.goal} |`,
    );
  }
  lines.push(
    '',
    `(${rounds} alternating rounds each; medians; both engines with bridge + iptables, docker CLI 28)`,
  );
  for (const r of rows)
    lines.push(
      `${r.what}: tsctr ${r.ours.map((x) => x.toFixed(1)).join(' ')} | dockerd ${r.anchor.map((x) => x.toFixed(1)).join(' ')}`,
    );
  return lines.join('\n');
}
