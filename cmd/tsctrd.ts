// tsctrd: the core daemon. Parses flags over the config file, then hands off to the server.
import { parseArgs } from 'node:util';
import { TsctrError } from '../api/errdefs.js';
import { Connection } from '../client/connection.js';
import { pullReference } from '../client/images/pull-reference.js';
import { CRI_NS, type Puller } from '../services/cri/index.js';
import { loadConfig } from '../services/server/config.js';
import { startDaemon } from '../services/server/daemon.js';
import { makeLogger } from '../services/server/log.js';

const usage = `usage: tsctrd [--config FILE] [--address SOCK] [--root DIR] [--state DIR] [--log-level LEVEL]

  --config     TOML config (default /etc/tsctr/config.toml, if present)
  --address    gRPC unix socket (default /run/tsctr/tsctrd.sock)
  --root       persistent data (default /var/lib/tsctr)
  --state      volatile state (default /run/tsctr)
  --log-level  trace|debug|info|warn|error (default info)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      address: { type: 'string', short: 'a' },
      root: { type: 'string' },
      state: { type: 'string' },
      'log-level': { type: 'string', short: 'l' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const cfg = loadConfig(values.config);
  if (values.address) cfg.address = values.address;
  if (values.root) cfg.root = values.root;
  if (values.state) cfg.state = values.state;
  if (values['log-level']) cfg.logLevel = values['log-level'];
  const log = makeLogger(cfg.logLevel);
  // The CRI pulls through the public client, over this daemon's own socket (services/ cannot import it).
  const criPuller = (address: string): Puller => {
    let conn: Connection | undefined;
    return async (ref, auth) => {
      conn ??= new Connection({ address, namespace: CRI_NS });
      const credentials = auth
        ? auth.identityToken
          ? { identityToken: auth.identityToken }
          : { username: auth.username ?? '', password: auth.password ?? '' }
        : undefined;
      return pullReference(conn, ref, {
        ...(credentials ? { credentials } : {}),
        ...(auth?.serverAddress ? { server: auth.serverAddress } : {}),
        hostsDir: cfg.cri.registry.configPath,
      });
    };
  };
  const daemon = await startDaemon(cfg, log, { criPuller });
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, 'shutting down');
    daemon.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  const msg = e instanceof TsctrError || e instanceof Error ? e.message : String(e);
  process.stderr.write(`tsctrd: ${msg}\n`);
  process.exit(1);
});
