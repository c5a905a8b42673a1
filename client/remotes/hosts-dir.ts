// containerd's registry host directory (`config_path`): `<dir>/<registry host>/hosts.toml`, or
// `<dir>/_default/hosts.toml`, naming mirrors as `[host."scheme://host[:port]"]` tables (tried in
// file order before the upstream, here for pull and resolve). `server` replaces the upstream.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'smol-toml';
import { invalidArgument } from '../../api/errdefs.js';

export interface MirrorHost {
  /** host[:port] the mirror answers on. */
  host: string;
  plainHttp: boolean;
}

type Toml = Record<string, unknown>;

function hostOf(url: string, file: string): MirrorHost {
  const m = /^(https?):\/\/([^/]+)\/?(?:v2\/?)?$/.exec(url) ?? /^()([^/:]+(?::\d+)?)$/.exec(url);
  if (!m) throw invalidArgument(`${file}: mirror "${url}" must be scheme://host[:port]`);
  return { host: m[2], plainHttp: m[1] === 'http' };
}

export interface HostsConfig {
  mirrors: MirrorHost[];
  /** The upstream instead of the reference's own host. */
  server?: MirrorHost;
}

/** The mirrors and upstream configured for registry `host` (none when there is no hosts.toml for it). */
export async function hostsFor(dir: string, host: string): Promise<HostsConfig> {
  for (const name of [host.replace(/:/g, '_'), host, '_default']) {
    if (name.includes('/') || name === '..' || name === '.') continue;
    const file = path.join(dir, name, 'hosts.toml');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    let t: Toml;
    try {
      t = parse(text) as Toml;
    } catch (e) {
      throw invalidArgument(`${file}: ${(e as Error).message}`);
    }
    const hosts = (t.host ?? {}) as Toml;
    const mirrors = Object.entries(hosts)
      .filter(([, v]) => {
        const caps = (v as Toml).capabilities;
        return !Array.isArray(caps) || caps.includes('pull');
      })
      .map(([k]) => hostOf(k, file));
    if (t.server !== undefined && typeof t.server !== 'string')
      throw invalidArgument(`${file}: server must be a string`);
    return { mirrors, ...(t.server ? { server: hostOf(t.server, file) } : {}) };
  }
  return { mirrors: [] };
}
