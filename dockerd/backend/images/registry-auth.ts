// X-Registry-Auth: base64url JSON of {username, password, serveraddress} or {identitytoken}, as the
// docker CLI sends it; `e30=` ({}) means anonymous. Malformed headers are ignored, as Docker does.
import { Registry } from '../../../client/remotes/index.js';
import { type Credentials, normalizeCredentialHost } from '../../../client/remotes/credentials.js';

interface AuthConfig {
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  serveraddress?: string;
}

export interface RegistryAuth {
  credentials: Credentials;
  /** The registry they are for, when the client said (`serveraddress`), normalised. */
  server?: string;
}

export function parseRegistryAuth(header: string | undefined): RegistryAuth | undefined {
  if (!header) return undefined;
  try {
    const text = Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const a = JSON.parse(text) as AuthConfig;
    const server = a.serveraddress ? { server: normalizeCredentialHost(a.serveraddress) } : {};
    if (a.identitytoken) return { credentials: { identityToken: a.identitytoken }, ...server };
    if (a.username || a.password) {
      return { credentials: { username: a.username ?? '', password: a.password ?? '' }, ...server };
    }
  } catch {
    // Docker treats an unreadable header as no credentials
  }
  return undefined;
}

/** A registry client with the request's credentials, offered only to the registry they name. */
export function registryFor(header: string | undefined): Registry {
  const auth = parseRegistryAuth(header);
  return new Registry({
    credentials: (host) =>
      auth && (!auth.server || auth.server === normalizeCredentialHost(host)) ? auth.credentials : undefined,
    userAgent: 'tsctr-dockerd/0.1',
  });
}
