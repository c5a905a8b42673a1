// Small helpers for the docker networking tests: a checked `docker` call, curl from the host, free host
// ports, UDP round trips, and what the host's iptables and links show for one test daemon.
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import type { Dockerd } from './dockerd-harness.js';
import { type RunResult, run } from './harness.js';

/** `docker …` that must succeed; its trimmed stdout. */
export async function ok(d: Dockerd, args: string[], timeoutMs?: number): Promise<string> {
  const r = await d.docker(args, { timeoutMs });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

/** curl from the host, body only, a few seconds at most. */
export function curl(url: string, maxSeconds = 3): Promise<RunResult> {
  return run('curl', ['-sS', '--max-time', String(maxSeconds), url], { timeoutMs: (maxSeconds + 2) * 1000 });
}

/** curl until it answers with exactly `body` (a server just started needs a moment). */
export async function curlUntil(url: string, body: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  let last: RunResult | undefined;
  while (Date.now() < end) {
    last = await curl(url, 2);
    if (last.code === 0 && last.stdout === body) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer ${JSON.stringify(body)}: ${JSON.stringify(last)}`);
}

function bindable(port: number, host: string, udp: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    if (udp) {
      const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
      s.once('error', () => resolve(false));
      s.bind(port, host, () => s.close(() => resolve(true)));
      return;
    }
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

const taken = new Set<number>();

/** A host port in 20000–29999 that nothing holds now (TCP and UDP, IPv4 and IPv6), never handed out twice. */
export async function freePort(): Promise<number> {
  for (;;) {
    const p = randomInt(20000, 30000);
    if (taken.has(p)) continue;
    const free =
      (await bindable(p, '0.0.0.0', false)) &&
      (await bindable(p, '::', false)) &&
      (await bindable(p, '0.0.0.0', true));
    if (free) {
      taken.add(p);
      return p;
    }
  }
}

/** Sends one datagram to 127.0.0.1:port and resolves with the first reply (retrying a few times), or undefined. */
export async function udpAsk(port: number, msg: string, tries = 20): Promise<string | undefined> {
  for (let i = 0; i < tries; i++) {
    const reply = await new Promise<string | undefined>((resolve) => {
      const s = dgram.createSocket('udp4');
      const t = setTimeout(() => {
        s.close();
        resolve(undefined);
      }, 300);
      s.on('message', (m) => {
        clearTimeout(t);
        s.close();
        resolve(m.toString());
      });
      s.send(msg, port, '127.0.0.1');
    });
    if (reply !== undefined) return reply;
  }
  return undefined;
}

/**
 * The iptables-save lines (filter and nat) that name this chain prefix, one of these bridges, or an
 * address starting with one of `addrs` (e.g. `10.199.5.`: the hairpin MASQUERADE names neither).
 */
export function ruleLines(prefix: string, bridges: string[], addrs: string[] = []): string[] {
  const out: string[] = [];
  for (const table of ['filter', 'nat']) {
    const save = execFileSync('iptables-save', ['-t', table], { encoding: 'utf8' });
    for (const l of save.split('\n')) {
      if (!l.startsWith('-A ') && !l.startsWith(':')) continue;
      const words = l.replace(/^:/, '').split(/\s+/);
      const mine = (w: string) =>
        w.startsWith(prefix) || bridges.includes(w) || addrs.some((a) => w.startsWith(a));
      if (words.some(mine)) out.push(`${table} ${l.startsWith(':') ? l.split(' ')[0] : l}`);
    }
  }
  return out.sort();
}

interface Link {
  ifname: string;
  master?: string;
  linkinfo?: { info_kind?: string };
}

function links(): Link[] {
  return JSON.parse(execFileSync('ip', ['-j', '-d', 'link', 'show'], { encoding: 'utf8' })) as Link[];
}

/** Host-side veths enslaved to one of these bridges. */
export function vethsOn(bridges: string[]): string[] {
  return links()
    .filter((l) => l.linkinfo?.info_kind === 'veth' && l.master !== undefined && bridges.includes(l.master))
    .map((l) => l.ifname)
    .sort();
}

/** Which of these interface names still exist on the host. */
export function existing(names: string[]): string[] {
  const have = new Set(links().map((l) => l.ifname));
  return names.filter((n) => have.has(n));
}

/** The Linux bridge of a user network: `br-` and the first 12 hex digits of its id. */
export async function bridgeOf(d: Dockerd, network: string): Promise<string> {
  const id = await ok(d, ['network', 'inspect', '-f', '{{.Id}}', network]);
  return `br-${id.slice(0, 12)}`;
}

/** The first three octets and a dot of a /24 (`10.199.5.0/24` or `10.199.5.1/24` → `10.199.5.`). */
export function net24(cidr: string): string {
  return cidr.split('/')[0].split('.').slice(0, 3).join('.') + '.';
}

/** The shell command of a busybox httpd serving `body` at / on port 80. */
export function httpdCmd(body: string): string[] {
  return ['sh', '-c', `mkdir -p /www && echo '${body}' > /www/index.html && exec httpd -f -p 80 -h /www`];
}
