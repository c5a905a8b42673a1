// Port bindings as the Engine API carries them (`HostConfig.PortBindings`, `Config.ExposedPorts`,
// `HostConfig.PublishAllPorts`), validated with dockerd's texts and turned into an ordered list of
// requests: one per binding, plus an ephemeral one per exposed-but-unbound port under `-P`.
import { InvalidParameter } from '../../errdefs/index.js';

export type Proto = 'tcp' | 'udp';

export interface PortBindingSpec {
  HostIp?: string;
  HostPort?: string;
}

/** `{"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}], "53/udp": null}` */
export type PortBindings = Record<string, PortBindingSpec[] | null | undefined>;

export interface PortRequest {
  containerPort: number;
  proto: Proto;
  /** '' = all addresses (published on both `0.0.0.0` and `::`), else one address. */
  hostIp: string;
  /** 0/0 = an ephemeral port; start = end = one port; else a range to pick from. */
  hostPortStart: number;
  hostPortEnd: number;
}

/** Splits `80/tcp` into its port and protocol (`80` alone is tcp), as nat.SplitProtoPort does. */
export function splitProtoPort(key: string): { port: string; proto: string } {
  const [port, proto] = key.split('/', 2);
  return { port: port ?? '', proto: proto ? proto.toLowerCase() : 'tcp' };
}

function parsePortNumber(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/** `18080` or `8000-8005`; '' is an ephemeral port. Undefined when invalid. */
export function parseHostPort(s: string): { start: number; end: number } | undefined {
  if (s === '') return { start: 0, end: 0 };
  const [a, b, ...rest] = s.split('-');
  if (rest.length) return undefined;
  const start = parsePortNumber(a);
  const end = b === undefined ? start : parsePortNumber(b);
  if (start === undefined || end === undefined || end < start) return undefined;
  return { start, end };
}

const isIPv4 = (s: string) =>
  /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && s.split('.').every((p) => Number(p) <= 255);
const isIPv6 = (s: string) => s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s);

/** What dockerd checks at create (daemon/container.go validatePortBindings), with its texts. */
export function validatePortBindings(bindings: PortBindings | null | undefined): void {
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { port, proto } = splitProtoPort(key);
    if (port === '' || parsePortNumber(port) === undefined)
      throw new InvalidParameter(`invalid port specification: ${JSON.stringify(port)}`);
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp')
      throw new InvalidParameter(`invalid port specification: ${JSON.stringify(key)}`);
    for (const b of list ?? []) {
      const hostPort = b.HostPort ?? '';
      // nat.NewPort(nat.SplitProtoPort(HostPort)): a `/proto` suffix is tolerated there too.
      if (!parseHostPort(splitProtoPort(hostPort).port))
        throw new InvalidParameter(`invalid port specification: ${JSON.stringify(hostPort)}`);
      const ip = b.HostIp ?? '';
      if (ip !== '' && !isIPv4(ip) && !isIPv6(ip))
        throw new InvalidParameter(`invalid host IP address ${JSON.stringify(ip)} in port binding ${key}`);
    }
  }
}

/**
 * The bindings to publish when a container starts, in the order dockerd programs them: by container
 * port, highest first, tcp before udp, each port's bindings in the order given. `-P` adds an
 * ephemeral binding on all addresses for every exposed port that has none.
 */
export function portRequests(
  bindings: PortBindings | null | undefined,
  exposedPorts?: Record<string, unknown> | null,
  publishAll = false,
): PortRequest[] {
  validatePortBindings(bindings);
  const keys = new Set([...Object.keys(bindings ?? {}), ...Object.keys(exposedPorts ?? {})]);
  const ports = [...keys].map((key) => ({ key, ...splitProtoPort(key) }));
  ports.sort(
    (a, b) => Number(b.port) - Number(a.port) || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : 0),
  );
  const out: PortRequest[] = [];
  for (const { key, port, proto } of ports) {
    if (proto === 'sctp') throw new InvalidParameter(`publishing sctp ports is not supported: ${key}`);
    if (parsePortNumber(port) === undefined)
      throw new InvalidParameter(`invalid port specification: ${JSON.stringify(port)}`);
    const containerPort = Number(port);
    const list = bindings?.[key] ?? [];
    for (const b of list) {
      const range = parseHostPort(splitProtoPort(b.HostPort ?? '').port);
      if (!range)
        throw new InvalidParameter(`invalid port specification: ${JSON.stringify(b.HostPort ?? '')}`);
      out.push({
        containerPort,
        proto: proto as Proto,
        hostIp: b.HostIp ?? '',
        hostPortStart: range.start,
        hostPortEnd: range.end,
      });
    }
    if (publishAll && list.length === 0)
      out.push({ containerPort, proto: proto as Proto, hostIp: '', hostPortStart: 0, hostPortEnd: 0 });
  }
  return out;
}
