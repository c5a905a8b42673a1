// What a test daemon's networking left on the host, removed after the test whatever happened: every
// iptables rule that names its bridges or its chains, the chains themselves, and its bridges.
import { execFileSync } from 'node:child_process';

interface Link {
  ifname: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string };
}

/** The bridges a daemon with this chain prefix marked as its own (and its default bridge). */
export function ownedBridges(prefix: string, defaultBridge: string): string[] {
  const links = JSON.parse(execFileSync('ip', ['-j', '-d', 'link', 'show'], { encoding: 'utf8' })) as Link[];
  const owner = `tsctr-dockerd:${prefix}`;
  return links
    .filter((l) => l.ifname === defaultBridge || (l.ifalias === owner && l.linkinfo?.info_kind === 'bridge'))
    .map((l) => l.ifname);
}

interface Addr {
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
}

const ipv4 = (a: string) => a.split('.').reduce((n, b) => n * 256 + Number(b), 0);

/** The IPv4 subnets on these bridges, as [network, mask] numbers. */
function subnetsOf(bridges: string[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const b of bridges) {
    let addrs: Addr[] = [];
    try {
      addrs = JSON.parse(
        execFileSync('ip', ['-j', '-4', 'addr', 'show', 'dev', b], { encoding: 'utf8' }),
      ) as Addr[];
    } catch {
      continue;
    }
    for (const i of addrs.flatMap((a) => a.addr_info ?? [])) {
      if (!i.local || i.prefixlen === undefined) continue;
      const mask = i.prefixlen === 0 ? 0 : (0xffffffff << (32 - i.prefixlen)) >>> 0;
      out.push([(ipv4(i.local) & mask) >>> 0, mask]);
    }
  }
  return out;
}

export function removeTestNetworking(prefix: string, defaultBridge: string): void {
  const bridges = ownedBridges(prefix, defaultBridge);
  const subnets = subnetsOf(bridges);
  // A published port's hairpin MASQUERADE names only the container's address (-s X/32 -d X/32).
  const inSubnet = (w: string) => {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/32$/.exec(w);
    return m !== null && subnets.some(([net, mask]) => (ipv4(m[1]) & mask) >>> 0 === net);
  };
  const hairpin = (rule: string) => rule.startsWith('-A POSTROUTING -s ') && rule.split(/\s+/).some(inSubnet);
  const ours = (rule: string) =>
    rule.split(/\s+/).some((w) => w.startsWith(prefix) || bridges.includes(w)) || hairpin(rule);
  for (const table of ['filter', 'nat']) {
    let save = '';
    try {
      save = execFileSync('iptables-save', ['-t', table], { encoding: 'utf8' });
    } catch {
      continue;
    }
    const chains = save
      .split('\n')
      .filter((l) => l.startsWith(':'))
      .map((l) => l.slice(1).split(' ')[0])
      .filter((c) => c.startsWith(prefix));
    const dels = save
      .split('\n')
      .filter((l) => l.startsWith('-A ') && ours(l))
      .map((l) => `-D ${l.slice(3)}`);
    const batch = [
      `*${table}`,
      ...dels,
      ...chains.map((c) => `-F ${c}`),
      ...chains.map((c) => `-X ${c}`),
      'COMMIT',
      '',
    ];
    if (dels.length + chains.length > 0)
      execFileSync('iptables-restore', ['-w', '--noflush'], { input: batch.join('\n') });
  }
  for (const b of bridges) {
    try {
      execFileSync('ip', ['link', 'del', b]);
    } catch {
      // already gone
    }
  }
}

/** A 10.199.N.1/24 (N < 128) that no interface on the host uses yet: a test daemon's --bip. */
export function freeTestBip(): string {
  const used = new Set<number>();
  const info = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr'], { encoding: 'utf8' })) as Array<{
    addr_info?: Array<{ local: string }>;
  }>;
  for (const i of info)
    for (const a of i.addr_info ?? []) {
      const m = /^10\.199\.(\d+)\./.exec(a.local);
      if (m) used.add(Number(m[1]));
    }
  const free = Array.from({ length: 128 }, (_, n) => n).filter((n) => !used.has(n));
  return `10.199.${free[Math.floor(Math.random() * free.length)]}.1/24`;
}
