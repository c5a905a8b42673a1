// The daemon's networking options, as dockerd names them on its command line and in daemon.json.
import { InvalidParameter } from '../errdefs/index.js';

export interface AddressPool {
  base: string;
  size: number;
}

export interface NetworkConfig {
  /** `--bridge`: the default bridge's interface (`none` disables the default bridge network). */
  bridge: string;
  /** `--bip`: the default bridge's address with its prefix (e.g. 172.17.0.1/16). */
  bip?: string;
  /** `default-address-pools`: where new networks' subnets come from. */
  defaultAddressPools?: AddressPool[];
  /** `--iptables`: program NAT, filtering and published ports (false: touch no rule). */
  iptables: boolean;
  /** `--ip-forward`: turn on net.ipv4.ip_forward. */
  ipForward: boolean;
  /** `--icc`: containers on the default bridge may talk to each other. */
  icc: boolean;
  /** `--ip`: the default host address of published ports. */
  ip: string;
  /** `--dns`, `--dns-search`, `--dns-opt`: the containers' resolv.conf defaults. */
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  /**
   * The prefix of the iptables chains (`DOCKER`, `DOCKER-USER`, …). Docker-identical by default, since
   * firewall tools expect DOCKER-USER; another prefix lets tsctr-dockerd run beside a real dockerd.
   */
  chainPrefix: string;
}

export const DEFAULT_NETWORK_CONFIG: NetworkConfig = {
  bridge: 'docker0',
  iptables: true,
  ipForward: true,
  icc: true,
  ip: '0.0.0.0',
  dns: [],
  dnsSearch: [],
  dnsOptions: [],
  chainPrefix: 'DOCKER',
};

/** daemon.json's networking keys. */
export interface NetworkFileConfig {
  bridge?: string;
  bip?: string;
  'default-address-pools'?: AddressPool[];
  iptables?: boolean;
  'ip-forward'?: boolean;
  icc?: boolean;
  ip?: string;
  dns?: string[];
  'dns-search'?: string[];
  'dns-opts'?: string[];
  'iptables-chain-prefix'?: string;
}

/** The same options from the command line (strings as parseArgs gives them). */
export interface NetworkFlags {
  bridge?: string;
  bip?: string;
  iptables?: string;
  'ip-forward'?: string;
  icc?: string;
  ip?: string;
  dns?: string[];
  'dns-search'?: string[];
  'dns-opt'?: string[];
  'iptables-chain-prefix'?: string;
  /** `--default-address-pool base=10.10.0.0/16,size=24` (repeatable). */
  'default-address-pool'?: string[];
}

function pool(text: string): AddressPool {
  const kv = new Map(text.split(',').map((p) => p.split('=', 2) as [string, string]));
  const base = kv.get('base');
  const size = Number(kv.get('size'));
  if (!base || !Number.isInteger(size))
    throw new InvalidParameter(`invalid --default-address-pool "${text}": want base=CIDR,size=N`);
  return { base, size };
}

function bool(flag: string, v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidParameter(`invalid value "${v}" for --${flag}: want true or false`);
}

/** Flags win over daemon.json, which wins over the defaults; values are checked here, once. */
export function networkConfig(flags: NetworkFlags, file: NetworkFileConfig): NetworkConfig {
  const d = DEFAULT_NETWORK_CONFIG;
  const cfg: NetworkConfig = {
    bridge: flags.bridge ?? file.bridge ?? d.bridge,
    bip: flags.bip ?? file.bip,
    defaultAddressPools: flags['default-address-pool']?.map(pool) ?? file['default-address-pools'],
    iptables: bool('iptables', flags.iptables) ?? file.iptables ?? d.iptables,
    ipForward: bool('ip-forward', flags['ip-forward']) ?? file['ip-forward'] ?? d.ipForward,
    icc: bool('icc', flags.icc) ?? file.icc ?? d.icc,
    ip: flags.ip ?? file.ip ?? d.ip,
    dns: flags.dns ?? file.dns ?? d.dns,
    dnsSearch: flags['dns-search'] ?? file['dns-search'] ?? d.dnsSearch,
    dnsOptions: flags['dns-opt'] ?? file['dns-opts'] ?? d.dnsOptions,
    chainPrefix: flags['iptables-chain-prefix'] ?? file['iptables-chain-prefix'] ?? d.chainPrefix,
  };
  if (!/^[A-Z][A-Z0-9_]{0,9}$/.test(cfg.chainPrefix))
    throw new InvalidParameter(
      `invalid iptables chain prefix "${cfg.chainPrefix}": want up to 10 of A-Z, 0-9, _`,
    );
  if (cfg.bip !== undefined && !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cfg.bip))
    throw new InvalidParameter(
      `invalid --bip "${cfg.bip}": want an address with its prefix, e.g. 172.17.0.1/16`,
    );
  if (!/^[\d.:a-fA-F]+$/.test(cfg.ip)) throw new InvalidParameter(`invalid --ip "${cfg.ip}"`);
  for (const p of cfg.defaultAddressPools ?? []) {
    if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(p.base) || !Number.isInteger(p.size) || p.size < 1 || p.size > 32)
      throw new InvalidParameter(`invalid default-address-pools entry ${JSON.stringify(p)}`);
  }
  return cfg;
}
