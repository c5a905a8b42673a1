// Typed calls on tsctrd's Version and Introspection services.
import type { Plugin } from '../../api/gen/containerd/services/introspection/v1/introspection.js';
import type { VersionResponse } from '../../api/gen/containerd/services/version/v1/version.js';
import type { Connection } from '../connection.js';

export type { Plugin };
export type DaemonVersion = VersionResponse;

/** tsctrd's version and revision (also a cheap "is it up?"). */
export async function daemonVersion(c: Connection): Promise<DaemonVersion> {
  return c.call(c.version, c.version.version, {});
}

/** tsctrd's persistent server UUID. */
export async function serverUuid(c: Connection): Promise<string> {
  return (await c.call(c.introspection, c.introspection.server, {})).uuid;
}

/** Loaded (and failed) plugins, optionally filtered. */
export async function listPlugins(c: Connection, filters: string[] = []): Promise<Plugin[]> {
  return (await c.call(c.introspection, c.introspection.plugins, { filters })).plugins;
}
