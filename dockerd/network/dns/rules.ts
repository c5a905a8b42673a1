// The six nat rules Docker installs *inside* each container's namespace so that 127.0.0.11:53
// reaches the resolver's sockets on their random ports (and replies leave from :53), letting a
// process in the container bind port 53 itself. Text identical to dockerd 20.10's
// (`iptables-save` inside a container, reference §2.3). Written with one `iptables-restore
// --noflush` run in the namespace; they disappear with the namespace.
import { spawn } from 'node:child_process';
import { RESOLVER_IP } from './sockets.js';

export const OUTPUT_CHAIN = 'DOCKER_OUTPUT';
export const POSTROUTING_CHAIN = 'DOCKER_POSTROUTING';

const jumps = [
  `-A OUTPUT -d ${RESOLVER_IP}/32 -j ${OUTPUT_CHAIN}`,
  `-A POSTROUTING -d ${RESOLVER_IP}/32 -j ${POSTROUTING_CHAIN}`,
];

/** The rules (iptables-save syntax) for a resolver listening on `udpPort` and `tcpPort`. */
export function dnatRules(udpPort: number, tcpPort: number): string[] {
  const ip = `${RESOLVER_IP}/32`;
  return [
    ...jumps,
    `-A ${OUTPUT_CHAIN} -d ${ip} -p tcp -m tcp --dport 53 -j DNAT --to-destination ${RESOLVER_IP}:${tcpPort}`,
    `-A ${OUTPUT_CHAIN} -d ${ip} -p udp -m udp --dport 53 -j DNAT --to-destination ${RESOLVER_IP}:${udpPort}`,
    `-A ${POSTROUTING_CHAIN} -s ${ip} -p tcp -m tcp --sport ${tcpPort} -j SNAT --to-source :53`,
    `-A ${POSTROUTING_CHAIN} -s ${ip} -p udp -m udp --sport ${udpPort} -j SNAT --to-source :53`,
  ];
}

/**
 * The `iptables-restore --noflush` input. Declaring the two chains creates them, or empties them
 * when they exist; the jumps from OUTPUT/POSTROUTING are left out when `existing` already has them
 * (a resolver restarted in a namespace that outlived the daemon).
 */
export function restoreInput(udpPort: number, tcpPort: number, existing = ''): string {
  const have = new Set(existing.split('\n').map((l) => l.trim()));
  const rules = dnatRules(udpPort, tcpPort).filter((r) => !(jumps.includes(r) && have.has(r)));
  return ['*nat', `:${OUTPUT_CHAIN} - [0:0]`, `:${POSTROUTING_CHAIN} - [0:0]`, ...rules, 'COMMIT', ''].join(
    '\n',
  );
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err.trim()}`));
    });
    child.stdin.on('error', () => undefined); // a failed child is reported through 'close'
    child.stdin.end(input ?? '');
  });
}

/** The nat table of the namespace at `file`, as `iptables-save` prints it. */
export function natTableIn(file: string): Promise<string> {
  return run('nsenter', [`--net=${file}`, 'iptables-save', '-t', 'nat']);
}

/**
 * Installs the rules in the namespace at `file`. With `mayExist`, the namespace's nat table is
 * read first so that a second run does not duplicate the jumps (one more process).
 */
export async function installDnatRules(
  file: string,
  udpPort: number,
  tcpPort: number,
  mayExist = false,
): Promise<void> {
  const existing = mayExist ? await natTableIn(file) : '';
  await run(
    'nsenter',
    [`--net=${file}`, 'iptables-restore', '--noflush'],
    restoreInput(udpPort, tcpPort, existing),
  );
}
