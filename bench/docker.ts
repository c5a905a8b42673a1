// Docker-level benchmarks: the same docker CLI commands against tsctr-dockerd (over tsctrd) and
// against Debian's dockerd 20.10 (`--iptables=false --bridge=none`, its own containerd), in one run,
// alternating. Without a dockerd on this machine the anchor column says so, and only our figures are
// measured (measuring.md has the anchor's figures from an earlier run on this kind of machine).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { type RunningRegistry, startRegistry } from '../client/remotes/testing/registry-process.js';
import { Registry } from '../client/remotes/index.js';
import { busybox } from '../integration/testimages.js';
import {
  REPO,
  daemonEnv,
  dockerdBaseArgs,
  dockerdBinary,
  median,
  stopProc,
  tsctrd,
  waitSocket,
} from './lib.js';

export interface DockerDaemon {
  name: string;
  socket: string;
  pids(): string[];
  stop(): Promise<void>;
}

function childPids(root: number): string[] {
  const parent = new Map<string, string>();
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      parent.set(p, /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))![1]);
    } catch {
      // gone
    }
  }
  const out = [String(root)];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  return out;
}

export async function startTsctr(dir: string): Promise<DockerDaemon> {
  mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'docker.sock');
  // tsctrd as the containerd rows start it, then tsctr-dockerd on it.
  const core = tsctrd(dir);
  await core.start();
  const t = core.proc!;
  const tsock = core.address;
  const d = spawn(
    process.execPath,
    [
      path.join(REPO, 'dist/tsctr-dockerd.js'),
      '-H',
      `unix://${socket}`,
      '--containerd',
      tsock,
      '--data-root',
      path.join(dir, 'root/dockerd'),
      '--exec-root',
      path.join(dir, 'state/dockerd'),
      '--log-level',
      'warn',
      // As the dockerd it is compared with: no default bridge, no iptables (these rows use --network none;
      // the networking rows are bench/network.ts).
      '--iptables',
      'false',
      '--bridge',
      'none',
    ],
    { env: daemonEnv(), stdio: 'ignore' },
  );
  await waitSocket(socket, d);
  return {
    name: 'tsctr',
    socket,
    // The daemons and the spare shim tsctrd keeps booted (container shims are counted apart).
    pids: () => [
      String(t.pid),
      String(d.pid),
      ...childPids(t.pid!).filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('spare')),
    ],
    async stop() {
      await stopProc(d);
      await stopProc(t);
    },
  };
}

export async function startDockerd(dir: string): Promise<DockerDaemon | undefined> {
  const bin = dockerdBinary();
  if (!bin) return undefined;
  mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'docker.sock');
  const p = spawn(bin, [...dockerdBaseArgs(dir, socket), '--iptables=false', '--bridge=none'], {
    stdio: 'ignore',
  });
  await waitSocket(socket, p);
  return {
    name: 'dockerd',
    socket,
    pids: () => childPids(p.pid!).filter((x) => !readFileSync(`/proc/${x}/cmdline`, 'utf8').includes('shim')),
    stop: () => stopProc(p),
  };
}

export function docker(d: DockerDaemon, args: string[]): { ms: number; out: string } {
  const t0 = performance.now();
  const out = execFileSync('docker', args, {
    env: { ...process.env, DOCKER_HOST: `unix://${d.socket}`, DOCKER_CLI_HINTS: 'false' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { ms: performance.now() - t0, out };
}

function mem(pids: string[], field: 'Pss' | 'Rss'): number {
  let kb = 0;
  for (const p of pids) {
    try {
      kb += Number(
        new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))![1],
      );
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

export interface DockerRow {
  what: string;
  unit: string;
  ours: number[];
  anchor: number[];
  goal: string;
  /** What measuring.md recorded for dockerd, shown when it cannot be measured in this run. */
  reference: string;
}

export async function dockerRows(
  base: string,
  rounds: number,
): Promise<{ rows: DockerRow[]; anchored: boolean }> {
  const reg: RunningRegistry = await startRegistry();
  const img = await busybox();
  const r = new Registry({});
  const ref = `${reg.host}/busybox:bench`;
  for (const l of [...img.layers, img.config]) await r.pushBlob(ref, l, l.data);
  await r.pushManifest(ref, img.manifest, img.manifest.data, { tag: 'bench' });
  // Cold start: spawn the engine, until `docker version` answers (fresh roots each round).
  const cold: DockerRow = {
    what: 'cold start of the engine → first `docker version` answered',
    unit: 'ms',
    ours: [],
    anchor: [],
    goal: '≤ 1.0×',
    reference: '651 ms (dockerd alone)',
  };
  for (let i = 0; i < rounds; i++) {
    for (const start of [startTsctr, startDockerd]) {
      const t0 = performance.now();
      const e = await start(path.join(base, `cold-${i}-${start.name}`));
      if (!e) continue;
      docker(e, ['version']);
      (e.name === 'tsctr' ? cold.ours : cold.anchor).push(performance.now() - t0);
      await e.stop();
    }
  }
  const ours = await startTsctr(path.join(base, 'tsctr'));
  const theirs = await startDockerd(path.join(base, 'dockerd'));
  const both = theirs ? [ours, theirs] : [ours];
  const rows: DockerRow[] = [cold];
  try {
    for (const d of both) docker(d, ['pull', '-q', ref]);
    // Idle memory first, with no container ever run, once the pull's garbage is collected (V8 shrinks
    // an idle heap after some seconds). PSS depends on which neighbours share the binaries, so RSS too.
    await new Promise((res) => setTimeout(res, 15_000));
    rows.push({
      what: 'idle PSS of the engine (tsctrd + tsctr-dockerd | dockerd + its containerd)',
      unit: 'MiB',
      ours: [mem(ours.pids(), 'Pss')],
      anchor: theirs ? [mem(theirs.pids(), 'Pss')] : [],
      goal: '≤ 1.0×',
      reference: '41 + 14 = 55 MiB',
    });
    rows.push({
      what: 'idle RSS of the engine (same processes)',
      unit: 'MiB',
      ours: [mem(ours.pids(), 'Rss')],
      anchor: theirs ? [mem(theirs.pids(), 'Rss')] : [],
      goal: '—',
      reference: '75 + 38 = 113 MiB',
    });

    const run: DockerRow = {
      what: '`docker run --rm --network none busybox echo hi`',
      unit: 'ms',
      ours: [],
      anchor: [],
      goal: '≤ 0.5×',
      reference: '656 ms (median of 4×20)',
    };
    for (let i = 0; i < rounds + 1; i++) {
      for (const d of both) {
        const x = docker(d, ['run', '--rm', '--network', 'none', ref, 'echo', 'hi']);
        if (x.out !== 'hi\n') throw new Error(`${d.name}: unexpected output ${JSON.stringify(x.out)}`);
        if (i > 0) (d === ours ? run.ours : run.anchor).push(x.ms);
      }
    }
    rows.push(run);

    const N = 50;
    const many: DockerRow = {
      what: `${N} × \`docker run -d --network none … sleep 600\`, one at a time`,
      unit: 's',
      ours: [],
      anchor: [],
      goal: '≤ 0.5×',
      reference: '40.0 s',
    };
    const ps: DockerRow = {
      what: `\`docker ps\` with ${N} running`,
      unit: 'ms',
      ours: [],
      anchor: [],
      goal: '≤ 1.0×',
      reference: '—',
    };
    for (const d of both) {
      const t0 = performance.now();
      for (let i = 0; i < N; i++)
        docker(d, ['run', '-d', '--network', 'none', '--name', `b${i}`, ref, 'sleep', '600']);
      (d === ours ? many.ours : many.anchor).push((performance.now() - t0) / 1000);
    }
    for (let i = 0; i < rounds * 2; i++) {
      for (const d of both) {
        const x = docker(d, ['ps']);
        if (x.out.trim().split('\n').length !== N + 1)
          throw new Error(`${d.name}: docker ps shows ${x.out.trim().split('\n').length - 1} rows`);
        (d === ours ? ps.ours : ps.anchor).push(x.ms);
      }
    }
    rows.push(many, ps);
    for (const d of both) docker(d, ['rm', '-f', ...Array.from({ length: N }, (_, i) => `b${i}`)]);
  } finally {
    for (const d of both) await d.stop().catch(() => undefined);
    await reg.stop();
  }
  return { rows, anchored: theirs !== undefined };
}

export function dockerReport(rows: DockerRow[], anchored: boolean): string {
  const lines = [
    '',
    `| what | tsctr (median) | dockerd 20.10 (median) | ratio | goal |`,
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const a = median(r.ours);
    if (anchored && r.anchor.length > 0) {
      const b = median(r.anchor);
      lines.push(
        `| ${r.what} | ${a.toFixed(1)} ${r.unit} | ${b.toFixed(1)} ${r.unit} | ${(a / b).toFixed(2)}× | ${r.goal} |`,
      );
    } else {
      lines.push(
        `| ${r.what} | ${a.toFixed(1)} ${r.unit} | not installed here (earlier run: ${r.reference}) | — | ${r.goal} |`,
      );
    }
  }
  if (!anchored)
    lines.push(
      '',
      'dockerd is not installed on this machine (Debian docker.io): no ratio was measured in this run.',
    );
  return lines.join('\n');
}
