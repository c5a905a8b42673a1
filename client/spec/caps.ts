// Linux capability names: containerd's default set, every capability known to a 5.9+ kernel, and the effective
// set of this process (what containerd's `WithAllCurrentCapabilities` gives a privileged container).
import { readFile } from 'node:fs/promises';

export { DEFAULT_UNIX_CAPS } from '../../pkg/oci/defaults.js';

/** Every capability by its number (bit) up to kernel 5.9; the index is the capability number. */
export const KNOWN_CAPS: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** Names of the bits set in a capability bitmap, lowest bit first. Bits without a known name are left out. */
export function capsFromBitmap(bits: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) {
    if ((bits >> BigInt(i)) & 1n && i < KNOWN_CAPS.length) out.push(KNOWN_CAPS[i]);
  }
  return out;
}

/** The effective capabilities in a `/proc/<pid>/status` text. */
export function effectiveCapsFromStatus(status: string): string[] {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status);
  if (!m) throw new Error('no CapEff line in process status');
  return capsFromBitmap(BigInt(`0x${m[1]}`));
}

/** The effective capabilities of this process. */
export async function currentCapabilities(): Promise<string[]> {
  return effectiveCapsFromStatus(await readFile('/proc/self/status', 'utf8'));
}
