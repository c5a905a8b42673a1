// X-Registry-Auth: base64url JSON of {username, password, serveraddress} or {identitytoken}, as the
// docker CLI sends it; `e30=` ({}) means anonymous. Malformed headers are ignored, as Docker does.
import { Registry } from '../../../client/remotes/index.js';
import type { Credentials } from '../../../client/remotes/credentials.js';

interface AuthConfig {
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  serveraddress?: string;
}

export function parseRegistryAuth(header: string | undefined): Credentials | undefined {
  if (!header) return undefined;
  try {
    const text = Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const a = JSON.parse(text) as AuthConfig;
    if (a.identitytoken) return { identityToken: a.identitytoken };
    if (a.username || a.password) return { username: a.username ?? '', password: a.password ?? '' };
  } catch {
    // Docker treats an unreadable header as no credentials
  }
  return undefined;
}

export function registryFor(header: string | undefined): Registry {
  const creds = parseRegistryAuth(header);
  return new Registry({ credentials: () => creds, userAgent: 'tsctr-dockerd/0.1' });
}
