// tsctr-dockerd: the Docker Engine API over tsctrd. dockerd's own flags (and a daemon.json-style
// config file), then hand off to dockerd/daemon.ts.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startDockerd } from '../dockerd/daemon.js';
import { type DaemonFileConfig, readDaemonFile } from '../dockerd/config-file.js';
import { networkConfig } from '../dockerd/network/config.js';
import { makeLogger } from '../services/server/log.js';

const usage = `usage: tsctr-dockerd [-H unix:///run/tsctr/docker.sock] [--containerd SOCK] [--data-root DIR]
                     [--exec-root DIR] [--log-level LEVEL] [--config-file FILE]
                     [--tlsverify --tlscacert F --tlscert F --tlskey F]

  -H, --host       where to listen (repeatable; default unix:///run/tsctr/docker.sock; tcp:// needs --tlsverify)
  --containerd     tsctrd's socket (default /run/tsctr/tsctrd.sock)
  --data-root      persistent state (default /var/lib/tsctr/dockerd)
  --exec-root      volatile state: stdio FIFOs (default /run/tsctr/dockerd)
  --log-level      debug|info|warn|error (default info)
  --config-file    JSON like dockerd's daemon.json (default /etc/tsctr/daemon.json, if present)
  --no-new-privileges  set no_new_privs in every container (as dockerd's; also in the config file)
  --seccomp-profile P  containers' default seccomp profile: builtin (Docker's), unconfined, or a file

  networking (as dockerd's; also in the config file):
  --bridge NAME    the default bridge (default docker0)     --bip CIDR      its address (default 172.17.0.1/16)
  --iptables BOOL  program iptables (default true)          --ip-forward BOOL  enable ip_forward (default true)
  --icc BOOL       talk between default-bridge containers   --ip ADDR       default address of published ports
  --dns ADDR, --dns-search DOMAIN, --dns-opt OPT            the containers' resolv.conf (repeatable)
  --iptables-chain-prefix P   chains named P, P-USER, … instead of DOCKER (to run beside a dockerd)
  --default-address-pool base=CIDR,size=N   where new networks' subnets come from (repeatable)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', short: 'H', multiple: true },
      containerd: { type: 'string' },
      'data-root': { type: 'string' },
      'exec-root': { type: 'string' },
      'log-level': { type: 'string', short: 'l' },
      'config-file': { type: 'string' },
      tlsverify: { type: 'boolean' },
      tlscacert: { type: 'string' },
      tlscert: { type: 'string' },
      tlskey: { type: 'string' },
      'no-new-privileges': { type: 'boolean' },
      'seccomp-profile': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      bridge: { type: 'string', short: 'b' },
      bip: { type: 'string' },
      iptables: { type: 'string' },
      'ip-forward': { type: 'string' },
      icc: { type: 'string' },
      ip: { type: 'string' },
      dns: { type: 'string', multiple: true },
      'dns-search': { type: 'string', multiple: true },
      'dns-opt': { type: 'string', multiple: true },
      'iptables-chain-prefix': { type: 'string' },
      'default-address-pool': { type: 'string', multiple: true },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const file = values['config-file'] ?? '/etc/tsctr/daemon.json';
  let cfg: DaemonFileConfig = {};
  if (existsSync(file)) cfg = readDaemonFile(file);
  else if (values['config-file']) throw new Error(`config file ${file} not found`);
  const log = makeLogger(
    values['log-level'] ?? cfg['log-level'] ?? (cfg.debug ? 'debug' : 'info'),
    'tsctr-dockerd',
  );
  const verify = values.tlsverify ?? cfg.tlsverify ?? false;
  const ca = values.tlscacert ?? cfg.tlscacert;
  const cert = values.tlscert ?? cfg.tlscert;
  const key = values.tlskey ?? cfg.tlskey;
  if (verify && (!ca || !cert || !key))
    throw new Error('--tlsverify needs --tlscacert, --tlscert and --tlskey');
  const d = await startDockerd({
    hosts: values.host ?? cfg.hosts ?? ['unix:///run/tsctr/docker.sock'],
    containerd: values.containerd ?? cfg.containerd ?? '/run/tsctr/tsctrd.sock',
    dataRoot: values['data-root'] ?? cfg['data-root'] ?? '/var/lib/tsctr/dockerd',
    execRoot: values['exec-root'] ?? cfg['exec-root'] ?? '/run/tsctr/dockerd',
    ...(verify ? { tls: { ca: ca!, cert: cert!, key: key! } } : {}),
    network: networkConfig(values, cfg),
    noNewPrivileges: values['no-new-privileges'] ?? cfg['no-new-privileges'] ?? false,
    seccompProfile: values['seccomp-profile'] ?? cfg['seccomp-profile'] ?? 'builtin',
    log,
  });
  // Containers keep running when we stop: they belong to their shims (live restore is always on).
  const stop = () => void d.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`tsctr-dockerd: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
