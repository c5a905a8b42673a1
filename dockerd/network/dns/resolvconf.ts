// /etc/resolv.conf of a container on a user network, as Docker 20.10 writes it (libnetwork
// sandbox_dns_unix.go setupDNS + rebuildDNS, pkg/resolvconf): the IPv4 nameservers are replaced by
// 127.0.0.11 and kept in memory as the resolver's upstreams; IPv6 nameservers stay in the file;
// `search` and `options` are kept; `ndots:0` is appended unless the user set ndots.
// The container's --dns/--dns-search/--dns-opt (or the daemon's) replace the host file's lines of
// the same kind. Output order as Docker's: search, nameservers, options.
import { isIP } from 'node:net';
import { InvalidParameter } from '../../errdefs/index.js';
import type { Upstream } from './forward.js';
import { RESOLVER_IP } from './sockets.js';

export interface ResolvConfInput {
  /** Text of the host's resolv.conf (or of the file the daemon is told to use). */
  host: string;
  /** `--dns` (container, else daemon): replace the host's nameservers; never host-loopback. */
  dns?: readonly string[];
  /** `--dns-search`: replaces the host's search line (`.` alone means none). */
  dnsSearch?: readonly string[];
  /** `--dns-opt`: replaces the host's options. */
  dnsOptions?: readonly string[];
}

export interface ResolvConf {
  /** The container's /etc/resolv.conf. */
  content: string;
  /** The IPv4 nameservers that 127.0.0.11 stands for, in file order (the resolver uses three). */
  upstreams: Upstream[];
  /** The user's options set ndots (the resolver then keeps bare unknown names to itself). */
  ndotsSet: boolean;
}

export interface ParsedResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** Lines without comments (`#` or `;` to the end of the line). */
function lines(text: string): string[][] {
  return text.split('\n').map((l) =>
    l
      .replace(/[#;].*$/, '')
      .trim()
      .split(/\s+/)
      .filter(Boolean),
  );
}

/** nameserver (all, valid addresses only), search (the last line wins), options (all lines). */
export function parseResolvConf(text: string): ParsedResolvConf {
  const out: ParsedResolvConf = { nameservers: [], search: [], options: [] };
  for (const [key, ...rest] of lines(text)) {
    if (key === 'nameserver' && rest.length === 1 && isIP(rest[0].split('%')[0]))
      out.nameservers.push(rest[0]);
    else if (key === 'search') out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

const isLoopback = (ip: string) => (isIP(ip) === 4 ? ip.startsWith('127.') : ip.split('%')[0] === '::1');

/** Whether the options set ndots; a malformed value is refused with Docker's texts. */
function ndotsIn(options: readonly string[]): boolean {
  for (const option of options) {
    if (!option.includes('ndots')) continue;
    const parts = option.split(':');
    if (parts.length !== 2) throw new InvalidParameter(`invalid ndots option ${option}`);
    if (!/^[+-]?\d+$/.test(parts[1]))
      throw new InvalidParameter(`invalid number for ndots option: ${parts[1]}`);
    if (Number(parts[1]) < 0)
      throw new InvalidParameter(`invalid number for ndots option: ${Number(parts[1])}`);
    return true;
  }
  return false;
}

/** The resolv.conf that points a container on a user network at the embedded server. */
export function embeddedResolvConf(input: ResolvConfInput): ResolvConf {
  const host = parseResolvConf(input.host);
  const given = (list?: readonly string[]) => (list && list.length > 0 ? [...list] : undefined);
  const dns = given(input.dns);
  const nameservers = dns ?? host.nameservers;
  const search = given(input.dnsSearch) ?? host.search;
  const options = given(input.dnsOptions) ?? host.options;

  const upstreams: Upstream[] = nameservers
    .filter((ip) => isIP(ip) === 4)
    .map((ip) => ({ ip, hostLoopback: dns === undefined && isLoopback(ip) }));
  // IPv6 servers stay for the container to ask itself; the host's own ::1 means nothing inside it.
  const v6 = nameservers.filter(
    (ip) => isIP(ip.split('%')[0]) === 6 && (dns !== undefined || !isLoopback(ip)),
  );
  const ndotsSet = ndotsIn(options);

  let content = '';
  if (search.length > 0 && search.join(' ').trim() !== '.') content += `search ${search.join(' ')}\n`;
  for (const ns of [RESOLVER_IP, ...v6]) content += `nameserver ${ns}\n`;
  const opts = ndotsSet ? options : [...options, 'ndots:0'];
  if (opts.length > 0) content += `options ${opts.join(' ')}\n`;
  return { content, upstreams, ndotsSet };
}
