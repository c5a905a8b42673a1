// CRI benchmarks: the real crictl against tsctrd's CRI and Debian containerd 1.6's CRI plugin, each with
// its own CNI conflist (bridge + host-local + portmap on a free 10.199.N.0/24, no route beyond the
// bridge), the same local registry and sandbox image; alternated, medians, ratios.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type RunningRegistry, startRegistry } from '../client/remotes/testing/registry-process.js';
import { CRICTL, removeCniLeftovers } from '../integration/cri-harness.js';
import { freeTestBip } from '../integration/network-cleanup.js';
import { pushTestImage } from '../integration/registry.js';
import { buildImage, busybox, busyboxEntries } from '../integration/testimages.js';
import { type Daemon, type Row, stopProc, tsctrd, waitSocket } from './lib.js';

interface CriSide {
  d: Daemon;
  bridge: string;
  network: string;
  subnet: string;
}

async function conflist(
  dir: string,
  tag: string,
): Promise<{ confDir: string; bridge: string; network: string; subnet: string }> {
  const bridge = `bcri${tag}`;
  const network = `tsctr-bench-cri-${tag}`;
  const bip = freeTestBip();
  const subnet = bip.replace(/\.1\/24$/, '.0/24');
  const confDir = path.join(dir, 'cni');
  await fs.mkdir(confDir, { recursive: true });
  await fs.writeFile(
    path.join(confDir, '10-bench.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: network,
      plugins: [
        {
          type: 'bridge',
          bridge,
          isGateway: true,
          ipMasq: false,
          ipam: {
            type: 'host-local',
            dataDir: path.join(dir, 'ipam'),
            ranges: [[{ subnet, gateway: bip.replace(/\/24$/, '') }]],
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    }),
  );
  return { confDir, bridge, network, subnet };
}

async function hostsDir(dir: string, reg: RunningRegistry): Promise<string> {
  const certs = path.join(dir, 'certs.d');
  await fs.mkdir(path.join(certs, reg.host), { recursive: true });
  await fs.writeFile(
    path.join(certs, reg.host, 'hosts.toml'),
    `server = "http://${reg.host}"\n[host."http://${reg.host}"]\n  capabilities = ["pull", "resolve"]\n`,
  );
  return certs;
}

async function tsctrdCri(dir: string, reg: RunningRegistry, pause: string): Promise<CriSide> {
  const net = await conflist(dir, 't' + Math.random().toString(16).slice(2, 6));
  const cfg = path.join(dir, 'config.toml');
  await fs.writeFile(
    cfg,
    `[cri]\nsandbox_image = "${pause}"\nrestrict_oom_score_adj = true\n[cri.cni]\nbin_dir = "/usr/lib/cni"\nconf_dir = "${net.confDir}"\n[cri.registry]\nconfig_path = "${await hostsDir(dir, reg)}"\n`,
  );
  const d = tsctrd(dir, ['--config', cfg]);
  return { d, ...net };
}

async function containerdCri(dir: string, reg: RunningRegistry, pause: string): Promise<CriSide> {
  const net = await conflist(dir, 'c' + Math.random().toString(16).slice(2, 6));
  const cfg = path.join(dir, 'config.toml');
  const d: Daemon = {
    name: 'containerd',
    address: path.join(dir, 'containerd.sock'),
    root: path.join(dir, 'root'),
    async start() {
      await fs.writeFile(
        cfg,
        [
          'version = 2',
          `root = "${d.root}"`,
          `state = "${path.join(dir, 'state')}"`,
          'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]',
          '[grpc]',
          `  address = "${d.address}"`,
          '[ttrpc]',
          `  address = "${d.address}.ttrpc"`,
          '[debug]',
          '  level = "warn"',
          '[plugins."io.containerd.grpc.v1.cri"]',
          `  sandbox_image = "${pause}"`,
          '  restrict_oom_score_adj = true',
          '  stream_server_address = "127.0.0.1"',
          '  stream_server_port = "0"',
          '[plugins."io.containerd.grpc.v1.cri".cni]',
          '  bin_dir = "/usr/lib/cni"',
          `  conf_dir = "${net.confDir}"`,
          '[plugins."io.containerd.grpc.v1.cri".registry]',
          `  config_path = "${await hostsDir(dir, reg)}"`,
          '',
        ].join('\n'),
      );
      d.proc = spawn('containerd', ['--config', cfg], { stdio: 'ignore' });
      await waitSocket(d.address, d.proc);
    },
    async stop() {
      await stopProc(d.proc);
    },
  };
  return { d, ...net };
}

function crictl(d: Daemon, args: string[]): Promise<{ code: number; ms: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const sock = `unix://${d.address}`;
    const p = spawn(CRICTL, [
      '--runtime-endpoint',
      sock,
      '--image-endpoint',
      sock,
      '--timeout',
      '60s',
      ...args,
    ]);
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b));
    p.stderr.on('data', (b: Buffer) => (err += b));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code: code ?? 1, ms: performance.now() - t0, out: out.trim(), err }));
  });
}

async function must(d: Daemon, args: string[]): Promise<{ ms: number; out: string }> {
  const r = await crictl(d, args);
  if (r.code !== 0) throw new Error(`${d.name}: crictl ${args.join(' ')}: ${r.err}`);
  return r;
}

async function removeAll(d: Daemon): Promise<void> {
  for (const id of (await must(d, ['pods', '-q'])).out.split('\n').filter(Boolean)) {
    await crictl(d, ['stopp', id]);
    await crictl(d, ['rmp', '-f', id]);
  }
}

export async function criRows(base: string, rounds: number): Promise<Row[]> {
  const reg = await startRegistry();
  const sides: CriSide[] = [];
  try {
    const pause = await pushTestImage(
      reg,
      'pause:bench',
      await buildImage([busyboxEntries()], { cmd: ['sleep', '2147483647'] }),
    );
    const bb = await pushTestImage(reg, 'busybox:bench', await busybox());
    sides.push(
      await tsctrdCri(path.join(base, 't-cri'), reg, pause),
      await containerdCri(path.join(base, 'c-cri'), reg, pause),
    );
    for (const s of sides) {
      await s.d.start();
      await must(s.d, ['pull', pause]);
      await must(s.d, ['pull', bb]);
    }
    const files = async (s: CriSide, name: string) => {
      const dir = path.join(base, `${s.d.name}-cfg`);
      await fs.mkdir(path.join(dir, 'logs'), { recursive: true });
      const pod = path.join(dir, `${name}-pod.json`);
      await fs.writeFile(
        pod,
        JSON.stringify({
          metadata: { name, namespace: 'bench', uid: `uid-${name}` },
          log_directory: path.join(dir, 'logs', name),
          linux: {},
        }),
      );
      const ctrF = path.join(dir, `${name}-ctr.json`);
      await fs.writeFile(
        ctrF,
        JSON.stringify({
          metadata: { name: 'c' },
          image: { image: bb },
          command: ['sleep', '3600'],
          log_path: 'c.log',
          linux: {},
        }),
      );
      return { pod, ctr: ctrF };
    };
    const one: Row = {
      what: 'crictl runp + create + start (one pod)',
      unit: 'ms',
      ours: [],
      anchor: [],
      goal: '≤ 1.0×',
    };
    const twenty: Row = {
      what: '20 pods, crictl runp one after another',
      unit: 'ms',
      ours: [],
      anchor: [],
      goal: '≤ 1.0×',
    };
    const exec: Row = {
      what: 'crictl exec -s (ExecSync `true`)',
      unit: 'ms',
      ours: [],
      anchor: [],
      goal: '≤ 1.0×',
    };
    for (let i = 0; i < rounds; i++) {
      for (const [k, s] of sides.entries()) {
        const f = await files(s, `one-${i}`);
        const t0 = performance.now();
        const pod = (await must(s.d, ['runp', f.pod])).out;
        const c = (await must(s.d, ['create', pod, f.ctr, f.pod])).out;
        await must(s.d, ['start', c]);
        (k === 0 ? one.ours : one.anchor).push(performance.now() - t0);
        for (let j = 0; j < 4; j++)
          (k === 0 ? exec.ours : exec.anchor).push((await must(s.d, ['exec', '-s', c, 'true'])).ms);
        await removeAll(s.d);
      }
    }
    for (let i = 0; i < Math.max(1, Math.floor(rounds / 2)); i++) {
      for (const [k, s] of sides.entries()) {
        const fs20 = await Promise.all(Array.from({ length: 20 }, (_, j) => files(s, `many-${i}-${j}`)));
        const t0 = performance.now();
        for (const f of fs20) await must(s.d, ['runp', f.pod]);
        (k === 0 ? twenty.ours : twenty.anchor).push(performance.now() - t0);
        await removeAll(s.d);
      }
    }
    return [one, twenty, exec];
  } finally {
    for (const s of sides) {
      await removeAll(s.d).catch(() => undefined);
      await s.d.stop();
      removeCniLeftovers(s.bridge, s.network, s.subnet);
    }
    await reg.stop();
  }
}
