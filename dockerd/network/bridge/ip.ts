// iproute2, in batches: one `ip -batch -` process per group of link operations on the host, and
// `nsenter --net=<pinned netns file> ip -batch -` for the inside of a container's namespace
// (`ip -n` only takes names under /run/netns). Reads use `ip -j`; routes come from /proc/net/route.
import { writeFileSync } from 'node:fs';
import { readHostRoutes } from '../ipam/index.js';
import { runTool } from '../iptables/run.js';

export interface LinkInfo {
  ifindex: number;
  ifname: string;
  mtu: number;
  address?: string;
  operstate?: string;
  flags?: string[];
  ifalias?: string;
  master?: string;
  linkinfo?: { info_kind?: string; info_slave_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

export interface RouteInfo {
  dst: string;
  dev?: string;
  gateway?: string;
}

function ip(args: string[], netnsFile?: string, input?: string): Promise<string> {
  return netnsFile
    ? runTool('nsenter', [`--net=${netnsFile}`, 'ip', ...args], input)
    : runTool('ip', args, input);
}

/** Runs iproute2 commands (one per line, without the leading `ip`) in one process. */
export async function ipBatch(lines: string[], netnsFile?: string): Promise<void> {
  if (lines.length === 0) return;
  await ip(['-batch', '-'], netnsFile, `${lines.join('\n')}\n`);
}

/** `ip -j -d addr show`: every link, with its details and addresses. */
export async function links(netnsFile?: string): Promise<LinkInfo[]> {
  return JSON.parse(await ip(['-j', '-d', 'addr', 'show'], netnsFile)) as LinkInfo[];
}

export async function routes(): Promise<RouteInfo[]> {
  // From /proc/net/route (IPv4), as `ip -j route` would list them, without a process.
  return readHostRoutes()
    .filter((r) => !r.destination.includes(':'))
    .map((r) => ({ dst: r.destination, dev: r.iface }));
}

/** Writes a per-interface sysctl such as net.ipv4.conf.<if>.route_localnet (missing file: skipped). */
export function setInterfaceSysctl(
  family: 'ipv4' | 'ipv6',
  ifname: string,
  key: string,
  value: string,
): boolean {
  try {
    writeFileSync(`/proc/sys/net/${family}/conf/${ifname}/${key}`, `${value}\n`);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Whether iproute2 refused because the device is not there (deleting something already gone). */
export function isNoSuchDevice(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /Cannot find device|does not exist|No such device/.test(text);
}
