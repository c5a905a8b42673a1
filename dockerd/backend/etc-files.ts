// The /etc/hostname, /etc/hosts and /etc/resolv.conf every Docker container gets, written into its
// directory under the data root and bind-mounted over the image's own.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Mount } from '../../client/spec/index.js';
import type { LifecycleHooks, SpecContext } from './lifecycle.js';
import type { ContainerRecord } from './types.js';

const DEFAULT_DNS = ['8.8.8.8', '8.8.4.4'];

export function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/** resolv.conf as Docker builds it: the host's, minus loopback resolvers unreachable from a netns. */
export function resolvConf(
  host: string,
  o: { dns?: string[] | null; search?: string[] | null; options?: string[] | null; hostNet: boolean },
): string {
  if (o.hostNet && !o.dns?.length && !o.search?.length && !o.options?.length) return host;
  const lines = host.split('\n');
  let servers = lines
    .filter((l) => /^\s*nameserver\s/.test(l))
    .map((l) => l.trim().split(/\s+/)[1])
    .filter((s) => s && (o.hostNet || !(s.startsWith('127.') || s === '::1')));
  if (o.dns?.length) servers = o.dns;
  if (servers.length === 0) servers = DEFAULT_DNS;
  const search = o.search?.length
    ? o.search
    : lines.filter((l) => /^\s*search\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  const options = o.options?.length
    ? o.options
    : lines.filter((l) => /^\s*options\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  return [
    ...(search.length ? [`search ${search.join(' ')}`] : []),
    ...servers.map((s) => `nameserver ${s}`),
    ...(options.length ? [`options ${options.join(' ')}`] : []),
    '',
  ].join('\n');
}

/**
 * The names of the container's own /etc/hosts line, as libnetwork writes them: the FQDN (hostname plus
 * Domainname) then the bare hostname, or just the hostname when it has no dot.
 */
export function ownHostNames(hostname: string, domainname?: string): string {
  const fqdn = domainname ? `${hostname}.${domainname}` : hostname;
  const dot = fqdn.indexOf('.');
  return dot > 0 ? `${fqdn} ${fqdn.slice(0, dot)}` : fqdn;
}

/** /etc/hosts as Docker writes it: the fixed lines, --add-host entries, then one line per address. */
export function hostsFile(hostname: string, extra: string[], ip?: string | readonly string[]): string {
  const ips = ip === undefined ? [] : typeof ip === 'string' ? [ip] : ip;
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    ...extra.map((e) => {
      const i = e.lastIndexOf(':');
      return `${e.slice(i + 1)}\t${e.slice(0, i)}`;
    }),
    ...ips.map((a) => `${a}\t${hostname}`),
    '',
  ].join('\n');
}

/** The daemon's `--dns`, `--dns-search` and `--dns-opt`: used where a container sets none. */
export interface DnsDefaults {
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

/** Writes the three files into `dir` and records their paths on the container. */
export function writeEtcFiles(rec: ContainerRecord, dir: string, defaults?: DnsDefaults): void {
  const hc = rec.HostConfig;
  const hostNet = hc.NetworkMode === 'host';
  const hostname = hostNet ? os.hostname() : rec.Config.Hostname || rec.Id.slice(0, 12);
  rec.HostnamePath = path.join(dir, 'hostname');
  rec.HostsPath = path.join(dir, 'hosts');
  rec.ResolvConfPath = path.join(dir, 'resolv.conf');
  writeFileSync(rec.HostnamePath, `${hostname}\n`);
  let hosts: string;
  if (hostNet) {
    try {
      hosts = readFileSync('/etc/hosts', 'utf8');
    } catch {
      hosts = hostsFile(hostname, []);
    }
    const extra = (hc.ExtraHosts ?? []).map((e) => {
      const i = e.lastIndexOf(':');
      return `${e.slice(i + 1)}\t${e.slice(0, i)}`;
    });
    if (extra.length) hosts = `${hosts.trimEnd()}\n${extra.join('\n')}\n`;
  } else {
    hosts = hostsFile(
      ownHostNames(hostname, rec.Config.Domainname),
      hc.ExtraHosts ?? [],
      hc.NetworkMode === 'none' ? undefined : '127.0.1.1',
    );
  }
  writeFileSync(rec.HostsPath, hosts);
  writeFileSync(
    rec.ResolvConfPath,
    resolvConf(hostResolvConf(), {
      dns: hc.Dns?.length ? hc.Dns : defaults?.dns,
      search: hc.DnsSearch?.length ? hc.DnsSearch : defaults?.dnsSearch,
      options: hc.DnsOptions?.length ? hc.DnsOptions : defaults?.dnsOptions,
      hostNet,
    }),
  );
}

/**
 * The /etc files as a lifecycle hook: written when the container is created and bind-mounted over
 * the image's (unless a mount of the user's takes their place), ahead of the user's mounts.
 */
export function etcFilesHook(defaults: DnsDefaults): LifecycleHooks {
  return {
    name: 'etc-files',
    configureSpec({ rec, spec, dir }: SpecContext): void {
      writeEtcFiles(rec, dir, defaults);
      const etc: Mount[] = [
        ['/etc/resolv.conf', rec.ResolvConfPath],
        ['/etc/hostname', rec.HostnamePath],
        ['/etc/hosts', rec.HostsPath],
      ]
        .filter(([dst]) => !rec.Mounts.some((m) => m.Destination === dst))
        .map(([destination, source]) => ({
          destination,
          type: 'bind',
          source,
          options: ['rbind', 'rprivate', rec.HostConfig.ReadonlyRootfs ? 'ro' : 'rw'],
        }));
      const mounts = spec.mounts ?? [];
      const userDests = new Set(rec.Mounts.map((m) => m.Destination));
      const at = mounts.findIndex((m) => userDests.has(m.destination));
      spec.mounts = at < 0 ? [...mounts, ...etc] : [...mounts.slice(0, at), ...etc, ...mounts.slice(at)];
    },
  };
}
