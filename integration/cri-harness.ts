// A tsctrd with the CRI configured for tests: its own CNI conflist (a bridge and a free 10.199.N.0/24,
// no route beyond the bridge, no masquerade), a local registry holding a busybox image and a
// busybox-based sandbox image, and crictl pointed at the socket. `cleanup` removes what the CNI
// plugins made (bridge, veths with it, the network's iptables rules and port chains) even after a failure.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { REPO, run, type RunResult, Tsctrd } from './harness.js';
import { freeTestBip } from './network-cleanup.js';
import { type RunningRegistry, pushTestImage, startRegistry } from './registry.js';
import { buildImage, busybox, busyboxEntries } from './testimages.js';

/** The real crictl 1.29.0, from the shared folder beside the checkout (CI lays it out the same way). */
export const CRICTL =
  [
    path.resolve(REPO, '../shared/tools/crictl-1.29.0/crictl'),
    '/work/shared/tools/crictl-1.29.0/crictl',
  ].find((f) => existsSync(f)) ?? 'crictl';

export class CriEnv {
  constructor(
    readonly d: Tsctrd,
    readonly reg: RunningRegistry,
    readonly bridge: string,
    readonly network: string,
    readonly subnet: string,
    readonly images: { busybox: string; pause: string },
    readonly configFile: string,
  ) {}

  static async start(): Promise<CriEnv> {
    const reg = await startRegistry();
    const pause = await pushTestImage(
      reg,
      'pause:test',
      await buildImage([busyboxEntries()], { cmd: ['sleep', '2147483647'] }),
    );
    const bb = await pushTestImage(reg, 'busybox:test', await busybox());
    const d = new Tsctrd(await fs.mkdtemp('/tmp/tsctr-cri-'));
    const tag = randomBytes(3).toString('hex');
    const bridge = `tcri${tag}`;
    const network = `tsctr-cri-test-${tag}`;
    const bip = freeTestBip();
    const subnet = bip.replace(/\.1\/24$/, '.0/24');
    const confDir = path.join(d.dir, 'cni-conf');
    await fs.mkdir(confDir, { recursive: true });
    await fs.writeFile(
      path.join(confDir, '10-test.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: network,
        plugins: [
          {
            type: 'bridge',
            bridge,
            isGateway: true,
            ipMasq: false,
            hairpinMode: true,
            ipam: {
              type: 'host-local',
              dataDir: path.join(d.dir, 'cni-ipam'),
              ranges: [[{ subnet, gateway: bip.replace(/\/24$/, '') }]],
            },
          },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      }),
    );
    const certs = path.join(d.dir, 'certs.d');
    await fs.mkdir(certs, { recursive: true });
    const configFile = path.join(d.dir, 'config.toml');
    await fs.writeFile(
      configFile,
      [
        '[cri]',
        `sandbox_image = "${pause}"`,
        'stream_server_address = "127.0.0.1"',
        'stream_server_port = "0"',
        '[cri.cni]',
        'bin_dir = "/usr/lib/cni"',
        `conf_dir = "${confDir}"`,
        '[cri.registry]',
        `config_path = "${certs}"`,
        '',
      ].join('\n'),
    );
    const env = new CriEnv(d, reg, bridge, network, subnet, { busybox: bb, pause }, configFile);
    try {
      await d.start(['--config', configFile]);
    } catch (e) {
      await env.cleanup();
      throw e;
    }
    return env;
  }

  crictl(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    const sock = `unix://${this.d.address}`;
    return run(CRICTL, ['--runtime-endpoint', sock, '--image-endpoint', sock, '--timeout', '60s', ...args], {
      timeoutMs: 90_000,
      ...opts,
    });
  }

  /** crictl that must succeed; its stdout trimmed. */
  async ok(args: string[], opts: { input?: string } = {}): Promise<string> {
    const r = await this.crictl(args, opts);
    if (r.code !== 0) throw new Error(`crictl ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout.trim();
  }

  async file(name: string, body: unknown): Promise<string> {
    const f = path.join(this.d.dir, name);
    await fs.writeFile(f, JSON.stringify(body));
    return f;
  }

  /** Removes every pod (so CNI DEL runs), then the daemon, then what the plugins left on the host. */
  async cleanup(): Promise<void> {
    try {
      if (this.d.proc && this.d.proc.exitCode === null) {
        const ids = (await this.crictl(['pods', '-q'])).stdout.split('\n').filter(Boolean);
        for (const id of ids) {
          await this.crictl(['stopp', id]);
          await this.crictl(['rmp', '-f', id]);
        }
      }
    } finally {
      await this.d.cleanup();
      removeCniLeftovers(this.bridge, this.network, this.subnet);
      await this.reg.stop();
    }
  }
}

/**
 * The bridge and every iptables rule naming the network, bridge or subnet; port chains nothing uses; and
 * portmap's shared CNI-HOSTPORT-* chains once no other network has a port in them.
 */
export function removeCniLeftovers(bridge: string, network: string, subnet: string): void {
  try {
    execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  } catch {
    // not there
  }
  const prefix = subnet.replace(/\.0\/24$/, '.');
  for (const table of ['nat', 'filter']) {
    let save = '';
    try {
      save = execFileSync('iptables-save', ['-t', table], { encoding: 'utf8' });
    } catch {
      continue;
    }
    const lines = save.split('\n');
    const ours = (l: string) => l.includes(network) || l.includes(bridge) || l.includes(prefix);
    const dels = lines.filter((l) => l.startsWith('-A ') && ours(l));
    const kept = lines.filter((l) => l.startsWith('-A ') && !ours(l));
    const chains = lines
      .filter((l) => l.startsWith(':CNI-DN-'))
      .map((l) => l.slice(1).split(' ')[0])
      .filter((c) => !kept.some((l) => l.includes(`-j ${c}`)) && dels.some((l) => l.includes(c)));
    const batch = [
      `*${table}`,
      ...dels.map((l) => `-D ${l.slice(3)}`),
      ...chains.map((c) => `-F ${c}`),
      ...chains.map((c) => `-X ${c}`),
      'COMMIT',
      '',
    ];
    try {
      execFileSync('iptables-restore', ['-w', '--noflush'], { input: batch.join('\n') });
    } catch {
      // best effort, rule by rule would be next
    }
  }
  const nat = execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).split('\n');
  if (nat.some((l) => l.startsWith('-A CNI-HOSTPORT-DNAT ')) || !nat.includes(':CNI-HOSTPORT-DNAT - [0:0]'))
    return;
  const shared = ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK'];
  const jumps = nat.filter((l) => l.startsWith('-A ') && shared.some((c) => l.includes(`-j ${c}`)));
  const batch = [
    '*nat',
    ...jumps.map((l) => `-D ${l.slice(3)}`),
    ...shared.map((c) => `-F ${c}`),
    ...shared.map((c) => `-X ${c}`),
    'COMMIT',
    '',
  ];
  try {
    execFileSync('iptables-restore', ['-w', '--noflush'], { input: batch.join('\n') });
  } catch {
    // another network's rules still use them
  }
}
