// The shapes the Engine API shows published ports in.
import { splitProtoPort } from './parse.js';
import type { PublishedPort } from './table.js';

export interface PortBindingView {
  HostIp: string;
  HostPort: string;
}

/**
 * `NetworkSettings.Ports`: every exposed port, `null` when not published, else its host bindings
 * (`0.0.0.0` then `::` for a binding on all addresses). Keys sorted as Go sorts a map's keys.
 */
export function networkSettingsPorts(
  exposedPorts: Record<string, unknown> | null | undefined,
  published: PublishedPort[],
): Record<string, PortBindingView[] | null> {
  const out: Record<string, PortBindingView[] | null> = {};
  const keys = new Set(Object.keys(exposedPorts ?? {}).map(normalize));
  for (const p of published) keys.add(`${p.containerPort}/${p.proto}`);
  for (const k of [...keys].sort()) {
    const mine = published.filter((p) => `${p.containerPort}/${p.proto}` === k);
    out[k] = mine.length ? mine.map((p) => ({ HostIp: p.hostIp, HostPort: String(p.hostPort) })) : null;
  }
  return out;
}

export interface ListPortView {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** `GET /containers/json` `Ports`: one entry per host binding, unpublished exposed ports without IP. */
export function listPorts(
  exposedPorts: Record<string, unknown> | null | undefined,
  published: PublishedPort[],
): ListPortView[] {
  const ports = networkSettingsPorts(exposedPorts, published);
  return Object.entries(ports).flatMap(([k, bindings]) => {
    const { port, proto } = splitProtoPort(k);
    if (!bindings) return [{ PrivatePort: Number(port), Type: proto }];
    return bindings.map((b) => ({
      IP: b.HostIp,
      PrivatePort: Number(port),
      PublicPort: Number(b.HostPort),
      Type: proto,
    }));
  });
}

function normalize(k: string): string {
  const { port, proto } = splitProtoPort(k);
  return `${port}/${proto}`;
}
