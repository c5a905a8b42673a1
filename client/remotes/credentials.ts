// Registry credentials: given explicitly, or read from Docker's config.json ($DOCKER_CONFIG or ~/.docker),
// as `docker login` writes them (auths[host].auth = base64 "user:pass", or identitytoken).
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { invalidArgument } from '../../api/errdefs.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`docker login` with an identity provider); exchanged at the token realm. */
  identityToken?: string;
}

/** Credentials for a registry host ("127.0.0.1:5000", "registry-1.docker.io"); undefined for anonymous. */
export type CredentialsProvider = (
  host: string,
) => Promise<Credentials | undefined> | Credentials | undefined;

const dockerHubAliases = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

/** "https://index.docker.io/v1/" → "docker.io"; "HTTP://Myreg:5000/path" → "myreg:5000". */
export function normalizeCredentialHost(key: string): string {
  let h = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = h.indexOf('/');
  if (slash !== -1) h = h.slice(0, slash);
  h = h.toLowerCase();
  return dockerHubAliases.has(h) ? 'docker.io' : h;
}

export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

function entryCredentials(e: AuthEntry): Credentials | undefined {
  const out: Credentials = {};
  if (typeof e.auth === 'string' && e.auth !== '') {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      out.username = decoded.slice(0, i);
      out.password = decoded.slice(i + 1);
    }
  }
  if (!out.username && typeof e.username === 'string') out.username = e.username;
  if (!out.password && typeof e.password === 'string') out.password = e.password;
  if (typeof e.identitytoken === 'string' && e.identitytoken !== '') out.identityToken = e.identitytoken;
  return out.username || out.identityToken ? out : undefined;
}

/** Parse config.json text into credentials per normalised host. */
export function parseDockerConfig(text: string): Map<string, Credentials> {
  const out = new Map<string, Credentials>();
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || !('auths' in parsed)) return out;
  const auths = parsed.auths;
  if (typeof auths !== 'object' || auths === null) return out;
  for (const [key, value] of Object.entries(auths as Record<string, unknown>)) {
    if (typeof value !== 'object' || value === null) continue;
    const creds = entryCredentials(value as AuthEntry);
    const host = normalizeCredentialHost(key);
    if (creds && !out.has(host)) out.set(host, creds);
  }
  return out;
}

/**
 * Credentials from Docker's config.json, read at each lookup so a later `docker login` is seen. A missing
 * file means anonymous. Credential helpers (credsStore/credHelpers) are not run.
 */
export function dockerConfigCredentials(configDir = dockerConfigDir()): CredentialsProvider {
  const file = join(configDir, 'config.json');
  return async (host) => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    let parsed: Map<string, Credentials>;
    try {
      parsed = parseDockerConfig(text);
    } catch {
      throw invalidArgument(`${file}: not valid JSON`);
    }
    return parsed.get(normalizeCredentialHost(host));
  };
}

/** Fixed credentials per host (keys normalised like config.json's). */
export function staticCredentials(byHost: Record<string, Credentials>): CredentialsProvider {
  const map = new Map(Object.entries(byHost).map(([k, v]) => [normalizeCredentialHost(k), v]));
  return (host) => map.get(normalizeCredentialHost(host));
}

/** The first provider that knows the host wins. */
export function chainCredentials(...providers: CredentialsProvider[]): CredentialsProvider {
  return async (host) => {
    for (const p of providers) {
      const c = await p(host);
      if (c) return c;
    }
    return undefined;
  };
}
