// A small libcni: the first network list in conf_dir, ADD in plugin order (each plugin's result is the
// next one's prevResult), DEL in reverse order with the cached ADD result. The conflist used at ADD is
// cached beside its result so that DEL after a restart (or a changed conf_dir) undoes exactly it.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { failedPrecondition, invalidArgument } from '../../api/errdefs.js';

type Json = Record<string, unknown>;

export interface NetworkList {
  cniVersion: string;
  name: string;
  plugins: Json[];
}

export interface CniResult {
  cniVersion?: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  routes?: unknown[];
  dns?: unknown;
}

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

export interface Attachment {
  id: string;
  netns: string;
  ifname: string;
  args: Record<string, string>;
  portMappings: PortMapping[];
}

/** What DEL needs, kept on disk from ADD on. */
export interface CachedAttachment {
  network: NetworkList;
  attachment: Attachment;
  result?: CniResult;
}

export class CniError extends Error {}

export class Cni {
  constructor(
    private readonly binDir: string,
    private readonly confDir: string,
  ) {}

  /** The network list in conf_dir (first by name, as libcni picks): *.conflist, or a single *.conf/*.json. */
  async network(): Promise<NetworkList> {
    let names: string[];
    try {
      names = (await fs.readdir(this.confDir)).sort();
    } catch {
      throw failedPrecondition(`cni config uninitialized: cannot read ${this.confDir}`);
    }
    for (const n of names) {
      const file = path.join(this.confDir, n);
      if (!/\.(conflist|conf|json)$/.test(n)) continue;
      let j: Json;
      try {
        j = JSON.parse(await fs.readFile(file, 'utf8')) as Json;
      } catch (e) {
        throw failedPrecondition(`cni config ${file}: ${(e as Error).message}`);
      }
      const plugins = n.endsWith('.conflist') ? (j.plugins as Json[] | undefined) : [j];
      if (!Array.isArray(plugins) || plugins.length === 0 || typeof j.name !== 'string')
        throw failedPrecondition(`cni config ${file}: needs a name and at least one plugin`);
      for (const p of plugins)
        if (typeof p.type !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(p.type))
          throw failedPrecondition(
            `cni config ${file}: plugin type ${JSON.stringify(p.type)} is not a plugin name`,
          );
      return { cniVersion: String(j.cniVersion ?? '0.4.0'), name: j.name, plugins };
    }
    throw failedPrecondition(`cni config uninitialized: no network config in ${this.confDir}`);
  }

  private async exec(
    cmd: 'ADD' | 'DEL',
    net: NetworkList,
    plugin: Json,
    a: Attachment,
    prev: CniResult | undefined,
  ): Promise<CniResult | undefined> {
    const conf: Json = { ...plugin, cniVersion: net.cniVersion, name: net.name };
    const caps = (plugin.capabilities ?? {}) as Json;
    if (caps.portMappings && a.portMappings.length > 0) conf.runtimeConfig = { portMappings: a.portMappings };
    if (prev) conf.prevResult = prev;
    const args = Object.entries({ IgnoreUnknown: '1', ...a.args })
      .map(([k, v]) => `${k}=${v}`)
      .join(';');
    const bin = path.join(this.binDir, String(plugin.type));
    const env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: cmd,
      CNI_CONTAINERID: a.id,
      CNI_NETNS: a.netns,
      CNI_IFNAME: a.ifname,
      CNI_ARGS: args,
      CNI_PATH: this.binDir,
    };
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(bin, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('error', (e) => {
          clearTimeout(timer);
          reject(new CniError(`cni plugin ${String(plugin.type)}: ${e.message}`));
        });
        child.on('close', (c) => {
          clearTimeout(timer);
          resolve({ code: c ?? 1, stdout: out, stderr: err });
        });
        child.stdin.on('error', () => undefined);
        child.stdin.end(JSON.stringify(conf));
      },
    );
    if (code !== 0) {
      let msg = stderr.trim() || stdout.trim();
      try {
        const e = JSON.parse(stdout) as { msg?: string; details?: string };
        msg = [e.msg, e.details].filter(Boolean).join(': ');
      } catch {
        // not the JSON error object
      }
      throw new CniError(`cni plugin ${String(plugin.type)} failed (${cmd}): ${msg}`);
    }
    if (cmd === 'DEL' || !stdout.trim()) return prev;
    return JSON.parse(stdout) as CniResult;
  }

  async add(net: NetworkList, a: Attachment): Promise<CniResult> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(a.id)) throw invalidArgument(`cni: bad container id ${a.id}`);
    let prev: CniResult | undefined;
    for (const p of net.plugins) prev = await this.exec('ADD', net, p, a, prev);
    return prev ?? {};
  }

  /** Every plugin in reverse order; all are tried, the first failure is reported. */
  async del(c: CachedAttachment): Promise<void> {
    let first: unknown;
    for (const p of [...c.network.plugins].reverse()) {
      try {
        await this.exec('DEL', c.network, p, c.attachment, c.result);
      } catch (e) {
        first ??= e;
      }
    }
    if (first) throw first;
  }
}

/** The pod's IPv4 (first) and other addresses from a result. */
export function addressesOf(r: CniResult | undefined): string[] {
  const sandboxIfs = new Set((r?.interfaces ?? []).map((i, n) => (i.sandbox ? n : -1)).filter((n) => n >= 0));
  const ips = (r?.ips ?? []).filter((ip) => ip.interface === undefined || sandboxIfs.has(ip.interface));
  return ips
    .map((ip) => ip.address.split('/')[0])
    .sort((a, b) => Number(b.includes('.')) - Number(a.includes('.')));
}
