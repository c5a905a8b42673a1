// The /etc/hosts and /etc/resolv.conf of a container with networks, rewritten in place (the files
// are bind-mounted, so the inode must stay) whenever its addresses or networks change.
import { writeFileSync } from 'node:fs';
import { type DnsDefaults, hostResolvConf, hostsFile, ownHostNames } from '../backend/etc-files.js';
import type { ContainerRecord } from '../backend/types.js';
import type { Spec } from '../../client/spec/index.js';
import { type ResolvConf, embeddedResolvConf } from './dns/index.js';

/**
 * --add-host entries, then the legacy links' lines (`ip alias shortid name`), then one line per
 * address the container holds (or 127.0.1.1 while it holds none, as before a start).
 */
export function rewriteHosts(
  rec: ContainerRecord,
  ips: string[],
  links: Array<{ names: string; ip: string }> = [],
): void {
  if (!rec.HostsPath) return;
  const hostname = ownHostNames(rec.Config.Hostname || rec.Id.slice(0, 12), rec.Config.Domainname);
  const own = ips.length > 0 ? ips : rec.HostConfig.NetworkMode === 'none' ? [] : ['127.0.1.1'];
  const extra = [...(rec.HostConfig.ExtraHosts ?? []), ...links.map((l) => `${l.names}:${l.ip}`)];
  writeFileSync(rec.HostsPath, hostsFile(hostname, extra, own));
}

/** On a user network: `nameserver 127.0.0.11`; returns the upstreams the embedded resolver forwards to. */
export function writeEmbeddedResolvConf(rec: ContainerRecord, defaults: DnsDefaults): ResolvConf {
  const hc = rec.HostConfig;
  const conf = embeddedResolvConf({
    host: hostResolvConf(),
    dns: hc.Dns?.length ? hc.Dns : defaults.dns,
    dnsSearch: hc.DnsSearch?.length ? hc.DnsSearch : defaults.dnsSearch,
    dnsOptions: hc.DnsOptions?.length ? hc.DnsOptions : defaults.dnsOptions,
  });
  if (rec.ResolvConfPath) writeFileSync(rec.ResolvConfPath, conf.content);
  return conf;
}

/**
 * `--network container:X`: the container sees X's /etc/hosts, /etc/hostname and /etc/resolv.conf (so
 * X's embedded resolver answers it), as dockerd's initializeNetworkingPaths does.
 */
export function shareEtcFiles(rec: ContainerRecord, other: ContainerRecord, spec: Spec): void {
  const pairs: Array<[string, string]> = [
    [rec.HostsPath, other.HostsPath],
    [rec.HostnamePath, other.HostnamePath],
    [rec.ResolvConfPath, other.ResolvConfPath],
  ];
  for (const m of spec.mounts ?? []) {
    const to = pairs.find(([own]) => own && m.source === own)?.[1];
    if (to) m.source = to;
  }
  rec.HostsPath = other.HostsPath;
  rec.HostnamePath = other.HostnamePath;
  rec.ResolvConfPath = other.ResolvConfPath;
}
