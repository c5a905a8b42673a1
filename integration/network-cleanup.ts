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

export function removeTestNetworking(prefix: string, defaultBridge: string): void {
  const bridges = ownedBridges(prefix, defaultBridge);
  const ours = (rule: string) => rule.split(/\s+/).some((w) => w.startsWith(prefix) || bridges.includes(w));
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
