// The [cri] section of tsctrd's TOML, with containerd's CRI key names (operators' scripts use them).
import { invalidArgument } from '../../api/errdefs.js';

export interface CriConfig {
  sandboxImage: string;
  disableApparmor: boolean;
  restrictOomScoreAdj: boolean;
  streamServerAddress: string;
  /** "0": any free port. */
  streamServerPort: string;
  cni: { binDir: string; confDir: string };
  registry: { configPath: string };
}

export const criDefaults = (): CriConfig => ({
  sandboxImage: 'registry.k8s.io/pause:3.6',
  disableApparmor: false,
  restrictOomScoreAdj: false,
  streamServerAddress: '127.0.0.1',
  streamServerPort: '0',
  cni: { binDir: '/usr/lib/cni', confDir: '/etc/cni/net.d' },
  registry: { configPath: '/etc/tsctr/certs.d' },
});

type Toml = Record<string, unknown>;

const KNOWN: Record<string, string[]> = {
  cri: [
    'sandbox_image',
    'disable_apparmor',
    'restrict_oom_score_adj',
    'stream_server_address',
    'stream_server_port',
    'cni',
    'registry',
  ],
  'cri.cni': ['bin_dir', 'conf_dir'],
  'cri.registry': ['config_path'],
};

function sub(t: Toml, key: string, where: string): Toml {
  const v = t[key];
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw invalidArgument(`config: [${where}] must be a table`);
  return v as Toml;
}

function checkKeys(t: Toml, where: string): void {
  for (const k of Object.keys(t))
    if (!KNOWN[where].includes(k)) throw invalidArgument(`config: unknown key ${where}.${k}`);
}

function str(t: Toml, key: string, where: string, fallback: string): string {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw invalidArgument(`config: ${where}.${key} must be a string`);
  return v;
}

function bool(t: Toml, key: string, fallback: boolean): boolean {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw invalidArgument(`config: cri.${key} must be true or false`);
  return v;
}

/** Reads the `[cri]` table (absent: every default). */
export function parseCriConfig(root: Toml): CriConfig {
  const d = criDefaults();
  const cri = sub(root, 'cri', 'cri');
  checkKeys(cri, 'cri');
  const cni = sub(cri, 'cni', 'cri.cni');
  checkKeys(cni, 'cri.cni');
  const reg = sub(cri, 'registry', 'cri.registry');
  checkKeys(reg, 'cri.registry');
  const portRaw = cri.stream_server_port;
  const port =
    typeof portRaw === 'number' ? String(portRaw) : str(cri, 'stream_server_port', 'cri', d.streamServerPort);
  if (!/^\d+$/.test(port) || Number(port) > 65535)
    throw invalidArgument(`config: cri.stream_server_port must be a port number, not "${port}"`);
  return {
    sandboxImage: str(cri, 'sandbox_image', 'cri', d.sandboxImage),
    disableApparmor: bool(cri, 'disable_apparmor', d.disableApparmor),
    restrictOomScoreAdj: bool(cri, 'restrict_oom_score_adj', d.restrictOomScoreAdj),
    streamServerAddress: str(cri, 'stream_server_address', 'cri', d.streamServerAddress),
    streamServerPort: port,
    cni: {
      binDir: str(cni, 'bin_dir', 'cri.cni', d.cni.binDir),
      confDir: str(cni, 'conf_dir', 'cri.cni', d.cni.confDir),
    },
    registry: { configPath: str(reg, 'config_path', 'cri.registry', d.registry.configPath) },
  };
}
