// `--ip-forward` (default true), as dockerd does it: turn net.ipv4.ip_forward on if it is off, and
// only in that case, when iptables is managed, set the FORWARD policy to DROP (so that turning
// forwarding on does not make the host a router for everything else). Left as is at shutdown.
import { readFileSync, writeFileSync } from 'node:fs';
import { runTool } from './run.js';

export interface ForwardingResult {
  /** Whether we turned it on (it was 0). */
  enabled: boolean;
  /** Whether we set the FORWARD policy to DROP. */
  policyDrop: boolean;
}

export async function setupIpForwarding(
  manageIptables: boolean,
  file = '/proc/sys/net/ipv4/ip_forward',
): Promise<ForwardingResult> {
  if (readFileSync(file, 'utf8').trim() === '1') return { enabled: false, policyDrop: false };
  writeFileSync(file, '1\n');
  if (!manageIptables) return { enabled: true, policyDrop: false };
  try {
    await runTool('iptables', ['-w', '-P', 'FORWARD', 'DROP']);
  } catch (err) {
    writeFileSync(file, '0\n');
    throw err;
  }
  return { enabled: true, policyDrop: true };
}
