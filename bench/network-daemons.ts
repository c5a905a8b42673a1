// The two engines of the network rows, each with real networking of its own: tsctr-dockerd (over tsctrd)
// with its own bridge, --bip in 10.199.0.0/16, chain prefix and address pool; Debian's dockerd 20.10
// with its default-bridge networking and iptables, on a bridge (made here with its 172.31.N.1/24, since
// dockerd takes --bridge or --bip, not both), and exec root of its own (never docker0). Both with `--dns 127.0.0.1`. `cleanup()` removes every bridge, veth, rule and chain the
// daemon made, even after a failure: dockerd leaves its `DOCKER*` chains and rules behind on shutdown,
// so its cleanup puts the `DOCKER*` chains and their jumps back exactly as they were before it started.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freeTestBip, ownedBridges, removeTestNetworking } from '../integration/network-cleanup.js';
import { REPO, daemonEnv, dockerdBaseArgs, dockerdBinary, stopProc, tsctrd, waitSocket } from './lib.js';

/** The docker CLI 28 for both engines, as the other docker rows use it. */
const DOCKER_CLI = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';

export interface NetEngine {
  name: 'tsctr' | 'dockerd';
  socket: string;
  /** Runs the docker CLI against this engine; throws with its stderr on a non-zero exit. */
  docker(args: string[], timeoutMs?: number): { ms: number; out: string };
  /** Removes what the bench made through the API, stops the daemon, removes its networking. */
  cleanup(): Promise<void>;
}

function cli(socket: string, args: string[], timeoutMs = 120_000): { ms: number; out: string } {
  const t0 = performance.now();
  const out = execFileSync(DOCKER_CLI, args, {
    env: { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CLI_HINTS: 'false' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  return { ms: performance.now() - t0, out };
}

function quietly(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // best effort: cleanup goes on
  }
}

/** Every container and user network of an engine, removed through its API (best effort). */
function removeEverything(socket: string): void {
  quietly(() => {
    const ids = cli(socket, ['ps', '-aq'], 60_000).out.split('\n').filter(Boolean);
    if (ids.length > 0) cli(socket, ['rm', '-f', ...ids], 120_000);
  });
  quietly(() => cli(socket, ['network', 'prune', '-f'], 60_000));
}

interface Link {
  ifname: string;
  master?: string;
  linkinfo?: { info_kind?: string };
}

function links(): Link[] {
  return JSON.parse(execFileSync('ip', ['-j', '-d', 'link', 'show'], { encoding: 'utf8' })) as Link[];
}

/** Deletes the veths enslaved to these bridges, then (unless `vethsOnly`) the bridges. */
function deleteBridges(bridges: string[], opts: { vethsOnly?: boolean } = {}): void {
  for (const l of links())
    if (l.linkinfo?.info_kind === 'veth' && l.master && bridges.includes(l.master))
      quietly(() => execFileSync('ip', ['link', 'del', l.ifname], { stdio: 'ignore' }));
  if (opts.vethsOnly) return;
  for (const b of bridges) quietly(() => execFileSync('ip', ['link', 'del', b], { stdio: 'ignore' }));
}

function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      parent.set(Number(p), Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))![1]));
    } catch {
      // gone
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  return out.slice(1);
}

/** Waits until the engine answers `GET /_ping` with 200 (dockerd listens long before it serves). */
async function waitPing(socket: string, proc: ChildProcess, ms = 60_000): Promise<void> {
  await waitSocket(socket, proc, ms);
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`daemon exited with ${proc.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(socket);
      let text = '';
      s.setTimeout(2000, () => s.destroy());
      s.on('data', (b: Buffer) => (text += b.toString()));
      s.once('error', () => resolve(false));
      s.once('close', () => resolve(text.startsWith('HTTP/1.1 200')));
      s.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${socket} does not answer /_ping`);
}

/** Says on stderr what is still on the host naming one of `words` (a rule, a chain or a link). */
function reportLeftovers(who: string, words: string[]): void {
  const hit = (l: string) =>
    l.split(/[\s:]+/).some((w) => words.some((x) => w === x || w.startsWith(`${x}-`)));
  const left = [
    ...['filter', 'nat'].flatMap((t) =>
      execFileSync('iptables-save', ['-t', t], { encoding: 'utf8' }).split('\n').filter(hit),
    ),
    ...links()
      .map((l) => l.ifname)
      .filter((n) => words.includes(n)),
  ];
  if (left.length > 0) process.stderr.write(`bench: ${who} left behind:\n${left.join('\n')}\n`);
}

export async function startTsctrNet(dir: string): Promise<NetEngine> {
  mkdirSync(dir, { recursive: true });
  const tag = randomBytes(2).toString('hex');
  const bridge = `tbn${tag}`; // not the tests' tsb…
  const prefix = `TB${tag.toUpperCase()}`;
  const socket = path.join(dir, 'docker.sock');
  const core = tsctrd(dir);
  let d: ChildProcess | undefined;
  const cleanup = async () => {
    if (d && d.exitCode === null) removeEverything(socket);
    await stopProc(d);
    await core.stop();
    // Veths first, then the rules that name the bridges (found while the bridges still exist), the
    // chains and the bridges themselves.
    deleteBridges(ownedBridges(prefix, bridge), { vethsOnly: true });
    removeTestNetworking(prefix, bridge);
    reportLeftovers('tsctr-dockerd', [bridge, prefix]);
  };
  try {
    await core.start();
    d = spawn(
      process.execPath,
      [
        path.join(REPO, 'dist/tsctr-dockerd.js'),
        '-H',
        `unix://${socket}`,
        '--containerd',
        core.address,
        '--data-root',
        path.join(dir, 'root/dockerd'),
        '--exec-root',
        path.join(dir, 'state/dockerd'),
        '--log-level',
        'warn',
        '--dns',
        '127.0.0.1',
        '--bridge',
        bridge,
        '--bip',
        freeTestBip(),
        '--iptables-chain-prefix',
        prefix,
        '--default-address-pool',
        'base=10.199.128.0/17,size=24',
      ],
      { env: daemonEnv(), stdio: 'ignore' },
    );
    await waitPing(socket, d);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { name: 'tsctr', socket, docker: (a, t) => cli(socket, a, t), cleanup };
}

/** A 172.31.N.1/24 for dockerd's bridge (N < 128) that no interface or route on the host uses yet. */
function freeDockerdBip(): string {
  const text = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  const used = new Set([...text.matchAll(/\b172\.31\.(\d+)\./g)].map((m) => Number(m[1])));
  const free = Array.from({ length: 126 }, (_, n) => n + 1).filter((n) => !used.has(n));
  return `172.31.${free[Math.floor(Math.random() * free.length)]}.1/24`;
}

type Save = Map<string, string[]>;

function iptablesSave(): Save {
  const s: Save = new Map();
  for (const t of ['filter', 'nat'])
    s.set(t, execFileSync('iptables-save', ['-t', t], { encoding: 'utf8' }).split('\n'));
  return s;
}

const BUILTIN = new Set(['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING']);

/**
 * Puts the `DOCKER*` chains back as `before` had them (rules and order), and removes every rule of the
 * built-in chains that names a `DOCKER*` chain or one of `bridges` and was not there before (those of
 * `before` that went missing are appended again). Nothing else is touched.
 */
function restoreDockerChains(before: Save, bridges: string[]): void {
  const mine = (l: string) => l.split(/\s+/).some((w) => w.startsWith('DOCKER') || bridges.includes(w));
  const chainsOf = (lines: string[]) =>
    lines
      .filter((l) => l.startsWith(':'))
      .map((l) => l.slice(1).split(' ')[0])
      .filter((c) => c.startsWith('DOCKER'));
  const builtinRule = (l: string) => l.startsWith('-A ') && BUILTIN.has(l.split(' ')[1]) && mine(l);
  for (const [table, was] of before) {
    const now = execFileSync('iptables-save', ['-t', table], { encoding: 'utf8' }).split('\n');
    const wasChains = chainsOf(was);
    const nowChains = chainsOf(now);
    const wasBuiltin = new Set(was.filter(builtinRule));
    const nowBuiltin = new Set(now.filter(builtinRule));
    const batch = [
      `*${table}`,
      ...[...nowBuiltin].filter((l) => !wasBuiltin.has(l)).map((l) => `-D ${l.slice(3)}`),
      ...nowChains.map((c) => `-F ${c}`),
      ...nowChains.filter((c) => !wasChains.includes(c)).map((c) => `-X ${c}`),
      ...wasChains.filter((c) => !nowChains.includes(c)).map((c) => `-N ${c}`),
      ...was.filter((l) => l.startsWith('-A ') && l.split(' ')[1].startsWith('DOCKER')),
      ...[...wasBuiltin].filter((l) => !nowBuiltin.has(l)),
      'COMMIT',
      '',
    ];
    if (batch.length > 3) execFileSync('iptables-restore', ['-w', '--noflush'], { input: batch.join('\n') });
  }
}

/** Deletes nat POSTROUTING `-s A/32 -d A/32 … -j MASQUERADE` rules (published-port hairpins) whose A is `ours`. */
function removeHairpins(ours: (address: string) => boolean): void {
  const dels = execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => {
      const m = /^-A POSTROUTING -s (\S+)\/32 -d (\S+)\/32 .* -j MASQUERADE$/.exec(l);
      return !!m && m[1] === m[2] && ours(m[1]);
    })
    .map((l) => `-D ${l.slice(3)}`);
  if (dels.length > 0)
    execFileSync('iptables-restore', ['-w', '--noflush'], {
      input: ['*nat', ...dels, 'COMMIT', ''].join('\n'),
    });
}

/** Debian's dockerd with real networking of its own, or undefined when it is not installed. */
export async function startDockerdNet(dir: string): Promise<NetEngine | undefined> {
  const bin = dockerdBinary();
  if (!bin) return undefined;
  mkdirSync(dir, { recursive: true });
  const tag = randomBytes(2).toString('hex');
  const bridge = `dkb${tag}`;
  const socket = path.join(dir, 'docker.sock');
  const before = iptablesSave();
  const bridgeNf = ['iptables', 'ip6tables'].map((f) => `/proc/sys/net/bridge/bridge-nf-call-${f}`);
  const nfBefore = bridgeNf.map((f) => (existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined));
  // dockerd refuses a --bridge other than docker0 that does not exist, and refuses --bip beside
  // --bridge ("mutually exclusive"): the bench makes the bridge with its address, dockerd adopts both.
  const bip = freeDockerdBip();
  execFileSync('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', bip, 'dev', bridge]);
  execFileSync('ip', ['link', 'set', bridge, 'up']);
  let p: ChildProcess | undefined;
  let stderr = '';
  /** dockerd's user networks' bridges (br-<id12>), learnt while it runs. */
  const userBridges = new Set<string>();
  const learnBridges = () =>
    quietly(() => {
      for (const id of cli(socket, ['network', 'ls', '-q', '--no-trunc', '--filter', 'driver=bridge'], 30_000)
        .out.split('\n')
        .filter(Boolean))
        userBridges.add(`br-${id.slice(0, 12)}`);
    });
  const cleanup = async () => {
    if (p && p.exitCode === null) {
      learnBridges();
      removeEverything(socket);
    }
    const kids = p?.pid ? descendants(p.pid) : [];
    await stopProc(p);
    // Its containerd and any docker-proxy should be gone with it; end what is left of them.
    for (const k of kids) quietly(() => process.kill(k, 'SIGKILL'));
    const bridges = [bridge, ...[...userBridges].filter((b) => links().some((l) => l.ifname === b))];
    deleteBridges(bridges);
    restoreDockerChains(before, [bridge, ...userBridges]);
    // The hairpin MASQUERADE rules of its published ports name only addresses: its bridge's /24 and
    // its pool (172.31.128.0/17).
    const own = bip.split('.').slice(0, 3).join('.') + '.';
    removeHairpins((a) => a.startsWith(own) || (a.startsWith('172.31.') && Number(a.split('.')[2]) >= 128));
    reportLeftovers('dockerd', [bridge, ...userBridges]);
    bridgeNf.forEach((f, i) => {
      const v = nfBefore[i];
      if (v !== undefined && existsSync(f) && readFileSync(f, 'utf8').trim() !== v)
        quietly(() =>
          execFileSync('sysctl', ['-qw', `${f.slice('/proc/sys/'.length).replaceAll('/', '.')}=${v}`]),
        );
    });
  };
  try {
    p = spawn(
      bin,
      [
        ...dockerdBaseArgs(dir, socket),
        '--bridge',
        bridge,
        '--default-address-pool',
        'base=172.31.128.0/17,size=24',
        '--dns',
        '127.0.0.1',
        '--userland-proxy-path',
        '/usr/sbin/docker-proxy',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    p.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    await waitPing(socket, p).catch((e: Error) => {
      throw new Error(`${e.message}\n${stderr}`);
    });
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    name: 'dockerd',
    socket,
    docker: (a, t) => {
      let r: { ms: number; out: string };
      try {
        r = cli(socket, a, t);
      } catch (e) {
        if (p?.exitCode !== null) (e as Error).message += `\ndockerd exited (${p?.exitCode}):\n${stderr}`;
        throw e;
      }
      if (a[0] === 'network' && a[1] === 'create') learnBridges();
      return r;
    },
    cleanup,
  };
}
