// Docker's embedded DNS server (127.0.0.11) for containers on user networks, one per container
// sandbox, served by tsctr-dockerd itself (no helper process).
//
// API
//   startResolver({ sandboxPath, containerId, table, upstreams, log, ndotsSet?, rulesMayExist?,
//                   upstreamTimeoutMs? }) -> Promise<Resolver>
//     Opens a UDP socket and a TCP listener on 127.0.0.11:<random> *inside* the namespace pinned
//     at `sandboxPath` (nothing is ever bound in the daemon's namespace), then installs there, with
//     one `nsenter --net=<file> iptables-restore --noflush`, Docker's six nat rules
//     (DOCKER_OUTPUT / DOCKER_POSTROUTING) that DNAT 127.0.0.11:53 tcp+udp to those ports and SNAT
//     the replies back to :53. `rulesMayExist`: the namespace outlived a daemon restart; its nat
//     table is read first so the jumps are not duplicated.
//   Resolver { udpPort, tcpPort, setUpstreams(list), close() }
//     close() closes the sockets, open TCP connections and pending forwards; idempotent. The rules
//     go with the namespace (removeNetns), so close before or after removing it, either works —
//     but do close: an open socket keeps its namespace (and the veths in it) alive after unmount.
//
//   NameTable { resolve(asker, name) -> {v4, v6} | undefined; reverse(asker, ip) -> string | undefined }
//     What the resolver asks; `asker` is the container ID given to startResolver.
//   EndpointNameTable implements NameTable — the daemon-wide table, fed from the network store:
//     setNetwork({id, name, internal?, ipv6?}), deleteNetwork(id),
//     setEndpoint({containerId, containerName, networkId, ipv4?, ipv6?, aliases?, links?}),
//     deleteEndpoint(containerId, networkId), deleteContainer(containerId).
//     Rules (libnetwork 20.10): names and aliases (incl. compose service names: several endpoints
//     -> several addresses, shuffled per answer), only over the asker's networks, `name.network`,
//     lookup order a.b.c everywhere -> a.b in c -> a in b.c, the asker's links before names,
//     case-insensitive; PTR -> `<name>.<network>`.
//
//   embeddedResolvConf({ host, dns?, dnsSearch?, dnsOptions? }) -> { content, upstreams, ndotsSet }
//     The container's /etc/resolv.conf (`nameserver 127.0.0.11`, IPv6 nameservers kept, search and
//     options kept, `options ndots:0` unless ndots is set) and the IPv4 upstreams it replaced
//     (host-file loopback ones marked hostLoopback: asked from the host namespace).
//
// Answers: TTL 600, RA set, AA clear; A/AAAA/PTR from the table; a known name in the other family
// or with another type (MX, TXT, …) -> NOERROR, empty, not forwarded; unknown -> the upstreams
// (first 3, 4 s each, same protocol as the client), SERVFAIL when none answers or there are none;
// UDP answers over 512 bytes (or the client's EDNS size) are cut and get TC.
// Deliberate differences from 20.10, none visible to the clients here: SERVFAIL where 20.10 stays
// silent (no upstream answered); a known name asked in any other type than A/AAAA/PTR gets the
// empty NOERROR 20.10 gives only to MX (20.10 forwards the others); a name known only as IPv6
// answers A empty too; a PTR outside in-addr/ip6.arpa is forwarded (20.10 drops it); loopback
// nameservers of the host file stay host-side even with --dns-search/--dns-opt; no 8.8.8.8
// fallback is ever added.
export { startResolver, type Resolver, type ResolverOptions } from './resolver.js';
export {
  EndpointNameTable,
  canonicalIp,
  type DnsEndpoint,
  type DnsLink,
  type DnsNetwork,
  type NameTable,
} from './names.js';
export { embeddedResolvConf, parseResolvConf, type ResolvConf, type ResolvConfInput } from './resolvconf.js';
export { MAX_UPSTREAMS, UPSTREAM_TIMEOUT_MS, type Upstream } from './forward.js';
export { RESOLVER_IP } from './sockets.js';
export { dnatRules } from './rules.js';
