// tsctr-dockerd assembled: the engine over a tsctrd connection (namespace `moby`), containers
// restored from the last run, the routes, and the API server on its unix socket (and on TCP only
// with mutual TLS).
import { mkdirSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { Connection } from '../client/connection.js';
import { BuildService } from './builder/service.js';
import { ExecService } from './backend/containers/exec-service.js';
import { ExecStore } from './backend/containers/exec.js';
import { healthHook } from './backend/containers/health.js';
import { restartPolicyHook } from './backend/containers/restart-policy.js';
import { ContainersService } from './backend/containers/service.js';
import { etcFilesHook } from './backend/etc-files.js';
import { ImagesService } from './backend/images/service.js';
import { SystemService } from './backend/system-service.js';
import { VolumesService } from './backend/volume-service.js';
import { DEFAULT_NETWORK_CONFIG, type NetworkConfig } from './network/config.js';
import { NetworkController } from './network/controller.js';
import { Networking } from './network/networking.js';
import type { NetworkRecord } from './network/store/index.js';
import { NetworksService } from './network/service.js';
import { buildRoutes } from './routes/build.js';
import { networkRoutes } from './routes/networks.js';
import { daemonVersion } from '../client/services/introspection.js';
import { restoreContainers } from './backend/containers/restore.js';
import { Engine } from './backend/engine.js';
import { watchOom } from './backend/containers/oom.js';
import { daemonSeccomp } from './backend/security.js';
import { sharedNamespacesHook } from './backend/containers/shared-ns.js';
import { API_VERSION, ENGINE_VERSION, MIN_API_VERSION } from './backend/system.js';
import { createApiServer, listenUnix } from './http/server.js';
import { claimDataRoot } from './pidfile.js';
import { containerRoutes } from './routes/containers.js';
import { execRoutes } from './routes/exec.js';
import { imageRoutes } from './routes/images.js';
import { systemRoutes } from './routes/system.js';
import { volumeRoutes } from './routes/volumes.js';

export interface DockerdOptions {
  hosts: string[];
  containerd: string;
  dataRoot: string;
  execRoot: string;
  tls?: { ca: string; cert: string; key: string };
  /** Networking options (defaults: dockerd's). */
  network?: NetworkConfig;
  /** `--no-new-privileges`: every container gets no_new_privs. */
  noNewPrivileges?: boolean;
  /** `--seccomp-profile`: `builtin` (default), `unconfined` or a profile file. */
  seccompProfile?: string;
  log: Logger;
}

export interface RunningDockerd {
  engine: Engine;
  stop(): Promise<void>;
}

export async function startDockerd(o: DockerdOptions): Promise<RunningDockerd> {
  for (const h of o.hosts) {
    if (h.startsWith('tcp://') && !o.tls) {
      throw new Error(
        `refusing to listen on ${h} without mutual TLS (--tlsverify --tlscacert --tlscert --tlskey)`,
      );
    }
    if (!h.startsWith('tcp://') && !h.startsWith('unix://') && !h.startsWith('/')) {
      throw new Error(`unsupported host ${h} (use unix:///path or tcp://host:port with TLS)`);
    }
  }
  mkdirSync(o.dataRoot, { recursive: true, mode: 0o710 });
  mkdirSync(o.execRoot, { recursive: true, mode: 0o700 });
  claimDataRoot(o.dataRoot);
  const c = new Connection({ address: o.containerd, namespace: 'moby', timeoutMs: 30_000 });
  await daemonVersion(c);
  const engine = new Engine(c, {
    dataRoot: o.dataRoot,
    execRoot: o.execRoot,
    log: o.log,
    containerdAddress: o.containerd,
    security: {
      noNewPrivileges: o.noNewPrivileges ?? false,
      seccomp: daemonSeccomp(o.seccompProfile ?? 'builtin'),
    },
  });
  // Networking first: a daemon that cannot have its bridge (another daemon owns it) must not start.
  const net = o.network ?? DEFAULT_NETWORK_CONFIG;
  const networking = await Networking.start(net, o.dataRoot, o.log);
  const networkEvent = (action: string, n: Readonly<NetworkRecord>, container?: string) =>
    engine.events.publish('network', action, n.Id, {
      ...(container ? { container } : {}),
      name: n.Name,
      type: n.Driver,
    });
  const network = new NetworkController(o.execRoot, networking, engine.store, networkEvent, net, o.log);
  // Who hears about each container's lifecycle, in this order.
  engine.lifecycle.register(etcFilesHook(net));
  // Joining another container's IPC/PID namespace fails (X not running) before the network is made.
  engine.lifecycle.register(sharedNamespacesHook(engine));
  engine.lifecycle.register(network);
  engine.lifecycle.register(healthHook(engine));
  engine.lifecycle.register(restartPolicyHook(engine));
  await restoreContainers(engine);
  const oomWatch = new AbortController();
  watchOom(engine, oomWatch.signal);
  const swept = await network.sweep();
  if (swept > 0) o.log.info({ swept }, 'network sandboxes of gone containers removed');

  const execs = new ExecStore();
  const containers = new ContainersService(engine, execs);
  const images = new ImagesService(engine);
  const server = createApiServer({
    routes: [
      ...systemRoutes(new SystemService(engine, images, containers)),
      ...containerRoutes(containers),
      ...execRoutes(new ExecService(engine, execs)),
      ...imageRoutes(images),
      ...volumeRoutes(new VolumesService(engine)),
      ...networkRoutes(new NetworksService(networking, network, engine.store, networkEvent)),
      ...buildRoutes(new BuildService(engine)),
    ],
    maxVersion: API_VERSION,
    minVersion: MIN_API_VERSION,
    serverHeader: `Docker/${ENGINE_VERSION} (linux)`,
    log: o.log,
    maxBodyBytes: 8 << 20,
  });
  const listeners: Array<http.Server | tls.Server> = [server];
  for (const h of o.hosts) {
    if (h.startsWith('unix://') || h.startsWith('/')) {
      await listenUnix(server, h.replace(/^unix:\/\//, ''), 0o660);
    } else if (h.startsWith('tcp://')) {
      if (!o.tls)
        throw new Error(
          `refusing to listen on ${h} without mutual TLS (--tlsverify --tlscacert --tlscert --tlskey)`,
        );
      const u = new URL(h);
      const t = tls.createServer(
        {
          ca: readFileSync(o.tls.ca),
          cert: readFileSync(o.tls.cert),
          key: readFileSync(o.tls.key),
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
        },
        (sock) => server.emit('connection', sock),
      );
      await new Promise<void>((resolve, reject) =>
        t.once('error', reject).listen(Number(u.port || 2376), u.hostname, resolve),
      );
      listeners.push(t);
    } else {
      throw new Error(`unsupported host ${h} (use unix:///path or tcp://host:port with TLS)`);
    }
  }
  o.log.info({ hosts: o.hosts, containerd: o.containerd }, 'tsctr-dockerd listening');
  return {
    engine,
    async stop() {
      oomWatch.abort();
      for (const l of listeners) l.close();
      c.close();
    },
  };
}
