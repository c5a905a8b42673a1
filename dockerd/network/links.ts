// Legacy `--link target:alias`. On the default bridge: environment variables describing the target
// and an /etc/hosts line, computed at each start from the target's address (HostConfig.Links shows
// `/target:/container/alias`). On a user network a link is only a DNS alias, kept in the endpoint's
// Links (`target:alias`).
import type { ContainerRecord } from '../backend/types.js';
import { Conflict, InvalidParameter } from '../errdefs/index.js';
import { networkState } from './state.js';

interface Containers {
  find(ref: string): ContainerRecord | undefined;
  get(ref: string): ContainerRecord;
}

export interface Link {
  target: string;
  alias: string;
}

/** `target:alias`, `target` or `/target:/container/alias` (the stored form). */
export function parseLink(text: string): Link {
  const [t, a] = text.split(':');
  const target = t.replace(/^\//, '');
  const alias = a === undefined ? target : (a.split('/').pop() ?? a);
  if (!target || !alias) throw new InvalidParameter(`invalid link: ${text}`);
  return { target, alias };
}

function envName(alias: string): string {
  return alias.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/** Ports sorted as Docker sorts them: by number, tcp before udp. */
function sortedPorts(
  exposed: Record<string, unknown> | null | undefined,
): Array<{ port: number; proto: string }> {
  return Object.keys(exposed ?? {})
    .map((k) => {
      const [p, proto = 'tcp'] = k.split('/');
      return { port: Number(p), proto };
    })
    .filter((p) => Number.isInteger(p.port))
    .sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto));
}

/** The variables dockerd gives the linking container (moby's links.go). */
export function linkEnv(
  link: Link,
  linkingName: string,
  target: { ip: string; exposedPorts?: Record<string, unknown> | null; env?: string[] | null },
): string[] {
  const a = envName(link.alias);
  const out = [`${a}_NAME=/${linkingName}/${link.alias}`];
  const ports = sortedPorts(target.exposedPorts);
  if (ports.length > 0) out.push(`${a}_PORT=${ports[0].proto}://${target.ip}:${ports[0].port}`);
  for (const p of ports) {
    const k = `${a}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    out.push(
      `${k}=${p.proto}://${target.ip}:${p.port}`,
      `${k}_ADDR=${target.ip}`,
      `${k}_PORT=${p.port}`,
      `${k}_PROTO=${p.proto}`,
    );
  }
  for (const kv of target.env ?? []) {
    const i = kv.indexOf('=');
    if (i < 1) continue;
    const k = kv.slice(0, i);
    if (k === 'HOME' || k === 'PATH') continue;
    out.push(`${a}_ENV_${k}=${kv.slice(i + 1)}`);
  }
  return out;
}

/** The linking container's /etc/hosts line for a target: `ip alias shortid name`. */
export function linkHostsLine(link: Link, target: { ip: string; id: string }): string {
  const names = [link.alias, target.id.slice(0, 12), link.target].filter((n, i, all) => all.indexOf(n) === i);
  return `${target.ip}\t${names.join(' ')}`;
}

/**
 * Links at create: each target must exist. On the default bridge they are kept as dockerd shows them
 * (`/target:/name/alias`); on a user network (`userNetwork`) they become DNS aliases of its endpoint.
 */
export function configureLinks(
  rec: ContainerRecord,
  userNetwork: string | undefined,
  containers: Containers,
): void {
  const links = (rec.HostConfig.Links ?? []).map(parseLink);
  for (const l of links)
    if (!containers.find(l.target)) throw new InvalidParameter(`Could not get container for ${l.target}`);
  if (links.length === 0) return;
  const named = links.map((l) => ({ ...l, target: containers.get(l.target).Name.slice(1) }));
  if (userNetwork === undefined) {
    rec.HostConfig.Links = named.map((l) => `/${l.target}:${rec.Name}/${l.alias}`);
  } else {
    networkState(rec).Networks[userNetwork].Links = named.map((l) => `${l.target}:${l.alias}`);
    rec.HostConfig.Links = null;
  }
}

/** At start, the default bridge's links: each target must run; its address gives env and hosts lines. */
export function linkTargets(
  rec: ContainerRecord,
  containers: Containers,
): Array<{ env: string[]; names: string; ip: string; ports: Array<{ port: number; proto: string }> }> {
  return (rec.HostConfig.Links ?? []).map((text) => {
    const l = parseLink(text);
    const t = containers.find(l.target);
    if (!t?.State.Running)
      throw new Conflict(`Cannot link to a non running container: /${l.target} AS ${rec.Name}/${l.alias}`);
    const ip = networkState(t).Networks.bridge?.IPAddress ?? '';
    if (!ip) throw new Conflict(`Cannot link to /${l.target}, as it does not belong to the default network`);
    const line = linkHostsLine(l, { ip, id: t.Id });
    return {
      env: linkEnv(l, rec.Name.slice(1), { ip, exposedPorts: t.Config.ExposedPorts, env: t.Config.Env }),
      names: line.split('\t')[1],
      ip,
      ports: sortedPorts(t.Config.ExposedPorts),
    };
  });
}
