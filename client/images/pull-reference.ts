// Pull by reference text, for callers that hold no registry client of their own (tsctrd's CRI image
// service): resolve with the given credentials, then the ordinary pull into the connection's namespace.
// Mirrors come from a containerd-style `certs.d` directory when one is named.
import { Registry } from '../remotes/index.js';
import type { Credentials } from '../remotes/credentials.js';
import { normalizeCredentialHost } from '../remotes/credentials.js';
import type { Connection } from '../connection.js';
import { hostsFor } from '../remotes/hosts-dir.js';
import { parseReference } from '../remotes/reference.js';
import { pull } from './pull.js';

export interface ReferencePullOptions {
  /** Offered only to the registry `server` names (all registries when it is empty). */
  credentials?: Credentials;
  server?: string;
  /** containerd's `config_path`: `<dir>/<host>/hosts.toml`. */
  hostsDir?: string;
  labels?: Record<string, string>;
}

export interface ReferencePullResult {
  name: string;
  /** The digest of the root manifest or index. */
  digest: string;
}

export async function pullReference(
  conn: Connection,
  text: string,
  opts: ReferencePullOptions = {},
): Promise<ReferencePullResult> {
  const ref = parseReference(text);
  const server = opts.server ? normalizeCredentialHost(opts.server) : undefined;
  const credentials = (host: string) =>
    opts.credentials && (!server || normalizeCredentialHost(host) === server) ? opts.credentials : undefined;
  const hosts = opts.hostsDir ? await hostsFor(opts.hostsDir, ref.host) : { mirrors: [] };
  let lastErr: unknown;
  // Mirrors first, in file order; then the upstream: hosts.toml's `server`, else the registry itself.
  // (`undefined` stands for the reference's own registry.)
  const upstream = hosts.server;
  const candidates = [...hosts.mirrors.filter((m) => m.host !== upstream?.host), upstream];
  for (const c of candidates) {
    const reg = new Registry({ credentials, ...(c?.plainHttp ? { insecure: [c.host] } : {}) });
    const object = ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`;
    const mirrored = c ? parseReference(`${c.host}/${ref.path}${object}`) : ref;
    try {
      const resolved = await reg.resolve(mirrored);
      await pull(
        conn,
        { host: ref.host, repository: ref.path, fetch: (d, offset) => reg.fetch(mirrored, d, { offset }) },
        ref.string,
        resolved.descriptor,
        { labels: opts.labels ?? {} },
      );
      return { name: ref.string, digest: resolved.descriptor.digest };
    } catch (e) {
      lastErr = e;
    }
  }
  throw lastErr;
}
