// daemon.json as dockerd reads it: every key must be one the daemon knows, and a key tsctr-dockerd
// knows but cannot honour with the value given is refused by name, never silently dropped. The
// messages follow dockerd's ("the following directives don't match any configuration option: …").
import { readFileSync } from 'node:fs';
import type { NetworkFileConfig } from './network/config.js';

export interface DaemonFileConfig extends NetworkFileConfig {
  hosts?: string[];
  containerd?: string;
  'data-root'?: string;
  'exec-root'?: string;
  'log-level'?: string;
  debug?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  'no-new-privileges'?: boolean;
  'seccomp-profile'?: string;
}

/** Keys applied as given (their values are checked where they are used). */
const APPLIED = new Set([
  'hosts',
  'containerd',
  'data-root',
  'exec-root',
  'log-level',
  'debug',
  'tlsverify',
  'tlscacert',
  'tlscert',
  'tlskey',
  'no-new-privileges',
  'seccomp-profile',
  'bridge',
  'bip',
  'default-address-pools',
  'iptables',
  'ip-forward',
  'icc',
  'ip',
  'dns',
  'dns-search',
  'dns-opts',
  'iptables-chain-prefix',
]);

/**
 * Keys whose only supported value is what tsctr-dockerd always does: accepted with that value (so a
 * daemon.json written for dockerd that asks for it keeps working), refused with any other.
 */
const FIXED: Record<string, { value: unknown; why: string }> = {
  'live-restore': { value: true, why: 'running containers always outlive tsctr-dockerd (live restore)' },
  'userland-proxy': {
    value: false,
    why: 'published ports are kernel NAT rules only, as dockerd with userland-proxy=false',
  },
  'storage-driver': { value: 'overlay2', why: 'images are stored by tsctrd on overlayfs' },
  'log-driver': { value: 'json-file', why: 'the json-file log driver is the one built in' },
  experimental: { value: false, why: 'there are no experimental features' },
  tls: { value: false, why: 'TLS is configured with tlsverify, tlscacert, tlscert and tlskey (mutual TLS)' },
};

/** Reads and checks a daemon.json; throws with dockerd's wording on unknown or unsupported keys. */
export function readDaemonFile(file: string): DaemonFileConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`unable to configure the Docker daemon with file ${file}: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`unable to configure the Docker daemon with file ${file}: not a JSON object`);
  const cfg = raw as Record<string, unknown>;
  const unknown = Object.keys(cfg).filter((k) => !APPLIED.has(k) && !(k in FIXED));
  if (unknown.length > 0)
    throw new Error(
      `unable to configure the Docker daemon with file ${file}: the following directives don't match any configuration option: ${unknown.join(', ')}`,
    );
  for (const [k, { value, why }] of Object.entries(FIXED)) {
    if (k in cfg && cfg[k] !== value)
      throw new Error(
        `unable to configure the Docker daemon with file ${file}: ${k} ${JSON.stringify(cfg[k])} is not supported: ${why} (only ${JSON.stringify(value)})`,
      );
  }
  return cfg as DaemonFileConfig;
}
