// A real tsctrd plus a real tsctr-dockerd on it, on temporary roots and sockets, driven by the real
// docker CLI (DOCKER_HOST pointing at our socket, its own DOCKER_CONFIG). Cleaned up even when a
// test fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DIST, type RunResult, Tsctrd, answers, run } from './harness.js';
import { type RunningRegistry, pushTestImage, startRegistry } from './registry.js';
import { freeTestBip, removeTestNetworking } from './network-cleanup.js';
import { busybox } from './testimages.js';

export class Dockerd {
  proc: ChildProcess | undefined;
  /** This process's log (reset at each start). */
  stderr = '';
  /** Every run's log, restarts included (chaos reports read it). */
  history = '';
  readonly socket: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly configDir: string;
  /** This daemon's own networking, so tests never touch a real docker0 or DOCKER chains. */
  readonly bridge: string;
  readonly bip: string;
  readonly chainPrefix: string;

  constructor(
    readonly tsctrd: Tsctrd,
    /** More tsctr-dockerd flags (e.g. `--no-new-privileges`). */
    readonly extraArgs: string[] = [],
  ) {
    const tag = randomBytes(2).toString('hex');
    this.bridge = `tsb${tag}`;
    this.bip = freeTestBip();
    this.chainPrefix = `TS${tag.toUpperCase()}`;
    this.socket = path.join(tsctrd.dir, 'docker.sock');
    this.dataRoot = path.join(tsctrd.root, 'dockerd');
    this.execRoot = path.join(tsctrd.state, 'dockerd');
    this.configDir = path.join(tsctrd.dir, 'docker-config');
    mkdirSync(this.configDir, { recursive: true });
  }

  static async start(extraArgs: string[] = []): Promise<Dockerd> {
    const t = await Tsctrd.start();
    const d = new Dockerd(t, extraArgs);
    try {
      await d.start();
    } catch (err) {
      await d.cleanup();
      throw err;
    }
    return d;
  }

  get env(): NodeJS.ProcessEnv {
    return { DOCKER_HOST: `unix://${this.socket}`, DOCKER_CONFIG: this.configDir, DOCKER_CLI_HINTS: 'false' };
  }

  async start(): Promise<void> {
    this.stderr = '';
    const proc = spawn(
      process.execPath,
      [
        path.join(DIST, 'tsctr-dockerd.js'),
        '-H',
        `unix://${this.socket}`,
        '--containerd',
        this.tsctrd.address,
        '--data-root',
        this.dataRoot,
        '--exec-root',
        this.execRoot,
        '--log-level',
        'warn',
        // Containers' and the embedded resolver's upstream: loopback only, never the host's resolver.
        '--dns',
        '127.0.0.1',
        '--bridge',
        this.bridge,
        '--bip',
        this.bip,
        '--iptables-chain-prefix',
        this.chainPrefix,
        '--default-address-pool',
        'base=10.199.128.0/17,size=24',
        ...this.extraArgs,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.history += d.toString();
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`tsctr-dockerd exited ${proc.exitCode}: ${this.stderr}`);
      if (existsSync(this.socket) && (await answers(this.socket))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`tsctr-dockerd did not start: ${this.stderr}`);
  }

  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }

  docker(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
    return run('docker', args, { env: this.env, ...opts });
  }

  /** Raw HTTP over the socket, for the API cases the CLI does not reach. */
  request(
    method: string,
    p: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    return new Promise((resolve, reject) => {
      const s = net.connect(this.socket);
      const b = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
      const head = [
        `${method} ${p} HTTP/1.1`,
        'Host: docker',
        'Connection: close',
        `Content-Length: ${b.length}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      s.write(`${head.join('\r\n')}\r\n\r\n`);
      if (b.length > 0) s.write(b);
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      // A server refusing an oversized body (or answering at once) closes while we are still
      // writing: EPIPE is expected then, and the answer, read before the close, is what counts.
      let failure: Error | undefined;
      s.on('error', (err) => (failure = err));
      s.on('close', () => {
        if (chunks.length === 0 && failure) {
          reject(failure);
          return;
        }
        const text = Buffer.concat(chunks).toString('latin1');
        const i = text.indexOf('\r\n\r\n');
        const lines = text.slice(0, i).split('\r\n');
        const hs: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const j = l.indexOf(':');
          hs[l.slice(0, j).toLowerCase()] = l.slice(j + 1).trim();
        }
        let rest = text.slice(i + 4);
        if (hs['transfer-encoding'] === 'chunked') {
          let out = '';
          while (rest.length > 0) {
            const nl = rest.indexOf('\r\n');
            const n = Number.parseInt(rest.slice(0, nl), 16);
            if (!n) break;
            out += rest.slice(nl + 2, nl + 2 + n);
            rest = rest.slice(nl + 2 + n + 2);
          }
          rest = out;
        }
        resolve({
          status: Number(lines[0].split(' ')[1]),
          headers: hs,
          body: Buffer.from(rest, 'latin1').toString(),
        });
      });
    });
  }

  async cleanup(): Promise<void> {
    await this.stop();
    await this.tsctrd.cleanup();
    removeTestNetworking(this.chainPrefix, this.bridge);
  }
}

/** The common setup of the docker tests: a registry with the busybox test image, both daemons, the image pulled. */
export interface DockerFixture {
  d: Dockerd;
  reg: RunningRegistry;
  ref: string;
  stop(): Promise<void>;
}

export async function dockerFixture(): Promise<DockerFixture> {
  const reg = await startRegistry();
  const ref = await pushTestImage(reg, 'busybox:latest', await busybox());
  const d = await Dockerd.start();
  const p = await d.docker(['pull', ref]);
  if (p.code !== 0) throw new Error(`docker pull failed: ${p.stderr}`);
  return {
    d,
    reg,
    ref,
    async stop() {
      await d.cleanup();
      await reg.stop();
    },
  };
}
