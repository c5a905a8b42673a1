// Registry authorization: WWW-Authenticate challenges (Bearer token realms, Basic), token fetching with the
// request's scopes, and a per-host, per-scope token cache honouring expires_in.
import { failedPrecondition } from '../../api/errdefs.js';
import type { CredentialsProvider, Credentials } from './credentials.js';
import { statusError } from './errors.js';
import { type TlsOptions, readBody, readErrorBody, send } from './http.js';

export interface Challenge {
  /** Lower-cased scheme: "bearer", "basic", … */
  scheme: string;
  params: Record<string, string>;
}

const token = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const challengeStartRe = new RegExp(`^\\s*(${token})(?:\\s+|$)`);
const paramRe = new RegExp(`^\\s*(${token})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(${token}))\\s*(,?)`);

/** Parse WWW-Authenticate header values; one challenge per value, Bearer first (as containerd ranks them). */
export function parseChallenges(values: string | string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const value of Array.isArray(values) ? values : [values]) {
    const m = challengeStartRe.exec(value);
    if (!m) continue;
    const params: Record<string, string> = {};
    let rest = value.slice(m[0].length);
    for (;;) {
      const p = paramRe.exec(rest);
      if (!p) break;
      params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
      rest = rest.slice(p[0].length);
      if (p[4] !== ',') break;
    }
    out.push({ scheme: m[1].toLowerCase(), params });
  }
  const rank = (c: Challenge): number => (c.scheme === 'bearer' ? 0 : c.scheme === 'basic' ? 2 : 1);
  return out
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i)
    .map((x) => x.c);
}

/** "repository:library/busybox:pull" or with ",push". */
export function repositoryScope(path: string, push = false): string {
  return `repository:${path}:${push ? 'pull,push' : 'pull'}`;
}

export interface AuthorizerOptions {
  credentials?: CredentialsProvider;
  timeoutMs?: number;
  userAgent?: string;
  tls?: TlsOptions;
  /** OAuth client_id sent when exchanging an identity token. */
  clientId?: string;
}

type HostAuth =
  | { scheme: 'basic'; header: string }
  | { scheme: 'bearer'; realm: string; service?: string; scopes: string[]; credentials?: Credentials };

interface CachedToken {
  value: Promise<string>;
  expiresAt: number;
}

/** Seconds a token lives when the server does not say (the token spec's default). */
const DEFAULT_EXPIRES_IN = 60;

function sortedUnique(scopes: string[]): string[] {
  return [...new Set(scopes)].sort();
}

export class Authorizer {
  private readonly hosts = new Map<string, HostAuth>();
  private readonly tokens = new Map<string, CachedToken>();
  /** Token endpoint requests made (for tests and diagnostics). */
  tokenRequests = 0;

  constructor(private readonly opts: AuthorizerOptions = {}) {}

  /** The Authorization header for a request to `host` needing `scopes`, if this host has asked for auth. */
  async authorization(host: string, scopes: string[], signal?: AbortSignal): Promise<string | undefined> {
    const auth = this.hosts.get(host);
    if (!auth) return undefined;
    if (auth.scheme === 'basic') return auth.header;
    const all = sortedUnique(scopes.length ? [...scopes, ...auth.scopes] : auth.scopes);
    const key = `${host}\n${auth.realm}\n${auth.service ?? ''}\n${all.join(' ')}`;
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${await cached.value}`;
    const entry: CachedToken = { value: Promise.resolve(''), expiresAt: Number.POSITIVE_INFINITY };
    entry.value = this.fetchToken(auth, all, signal).then(
      ({ value, expiresIn }) => {
        // Renew a little before the server's expiry (10 s, or a tenth of a shorter lifetime).
        entry.expiresAt = Date.now() + (expiresIn - Math.min(10, expiresIn / 10)) * 1000;
        return value;
      },
      (err: unknown) => {
        this.tokens.delete(key);
        throw err;
      },
    );
    this.tokens.set(key, entry);
    return `Bearer ${await entry.value}`;
  }

  /**
   * Learn from a 401's WWW-Authenticate. Returns true when the request should be retried with new
   * authorization; false when nothing more can be done (no usable challenge, no credentials, or the
   * registry rejected what we sent).
   */
  async challenge(
    host: string,
    values: string[],
    sentAuthorization: boolean,
    requestScopes: string[] = [],
  ): Promise<boolean> {
    for (const c of parseChallenges(values)) {
      if (c.scheme === 'bearer') {
        const realm = c.params.realm;
        if (!realm) continue;
        const scopes = c.params.scope ? c.params.scope.split(' ').filter((s) => s) : [];
        const known = this.hosts.get(host);
        if (sentAuthorization && known?.scheme === 'bearer') {
          // Our token was refused. Retry only if the registry names a scope we did not ask for.
          const asked = new Set([...known.scopes, ...requestScopes]);
          if (c.params.error === 'invalid_token' || scopes.every((s) => asked.has(s))) {
            this.forgetTokens(host);
            return false;
          }
          known.scopes = sortedUnique([...known.scopes, ...scopes]);
          return true;
        }
        const credentials = (await this.opts.credentials?.(host)) ?? undefined;
        this.hosts.set(host, {
          scheme: 'bearer',
          realm,
          ...(c.params.service !== undefined ? { service: c.params.service } : {}),
          scopes,
          ...(credentials ? { credentials } : {}),
        });
        return true;
      }
      if (c.scheme === 'basic') {
        if (sentAuthorization) return false;
        const cr = await this.opts.credentials?.(host);
        if (!cr?.username || !cr.password) continue;
        const header = `Basic ${Buffer.from(`${cr.username}:${cr.password}`).toString('base64')}`;
        this.hosts.set(host, { scheme: 'basic', header });
        return true;
      }
    }
    return false;
  }

  /** Drop what was learned about `host` (e.g. after `docker logout`). */
  forget(host: string): void {
    this.hosts.delete(host);
    this.forgetTokens(host);
  }

  private forgetTokens(host: string): void {
    for (const k of this.tokens.keys()) if (k.startsWith(`${host}\n`)) this.tokens.delete(k);
  }

  private async fetchToken(
    auth: Extract<HostAuth, { scheme: 'bearer' }>,
    scopes: string[],
    signal?: AbortSignal,
  ): Promise<{ value: string; expiresIn: number }> {
    this.tokenRequests++;
    const cr = auth.credentials;
    const url = new URL(auth.realm);
    const headers: Record<string, string> = { 'user-agent': this.opts.userAgent ?? 'tsctr' };
    let method = 'GET';
    let body: Buffer | undefined;
    if (cr?.identityToken) {
      // OAuth2 refresh-token grant, as containerd does for identity tokens.
      method = 'POST';
      const form = new URLSearchParams();
      if (scopes.length) form.set('scope', scopes.join(' '));
      if (auth.service) form.set('service', auth.service);
      form.set('client_id', this.opts.clientId ?? 'tsctr');
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', cr.identityToken);
      body = Buffer.from(form.toString());
      headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
    } else {
      if (auth.service) url.searchParams.append('service', auth.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (cr?.username && cr.password) {
        headers.authorization = `Basic ${Buffer.from(`${cr.username}:${cr.password}`).toString('base64')}`;
      }
    }
    const res = await send({
      method,
      url: url.toString(),
      headers,
      ...(body ? { body } : {}),
      timeoutMs: this.opts.timeoutMs ?? 30_000,
      ...(signal ? { signal } : {}),
      ...(this.opts.tls ? { tls: this.opts.tls } : {}),
    });
    if (res.status < 200 || res.status >= 300) {
      const text = await readErrorBody(res);
      const who = cr ? 'token' : 'anonymous token';
      throw statusError(method, url.toString(), res.status, res.statusText, text, `failed to fetch ${who}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse((await readBody(res, 1 << 20)).toString('utf8'));
    } catch {
      throw failedPrecondition(`${auth.realm}: token response is not JSON`);
    }
    const obj = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const value =
      typeof obj.access_token === 'string' && obj.access_token
        ? obj.access_token
        : typeof obj.token === 'string'
          ? obj.token
          : '';
    if (!value)
      throw failedPrecondition(`${auth.realm}: authorization server did not include a token in the response`);
    const expiresIn =
      typeof obj.expires_in === 'number' && obj.expires_in > 0 ? obj.expires_in : DEFAULT_EXPIRES_IN;
    return { value, expiresIn };
  }
}
