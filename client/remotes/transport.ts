// Requests to a registry: endpoint and scheme, authorization (401 → challenge → retry), redirects, and
// bounded retries with backoff on connection errors, timeouts, 408/429 and 5xx.
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { TsctrError } from '../../api/errdefs.js';
import { Authorizer } from './auth.js';
import type { CredentialsProvider } from './credentials.js';
import { RegistryError, redactUrl, statusError } from './errors.js';
import { type Endpoint, type HostOptions, endpointFor } from './hosts.js';
import {
  type HttpResponse,
  type TlsOptions,
  TimeoutError,
  discard,
  header,
  headerAll,
  readErrorBody,
  send,
} from './http.js';

export interface TransportOptions extends HostOptions {
  credentials?: CredentialsProvider;
  /** Share one authorizer (and its token cache) between transports. */
  authorizer?: Authorizer;
  /** Inactivity deadline per exchange, ms (default 30 000). Pass `signal` per request for an overall one. */
  timeoutMs?: number;
  /** Extra attempts after a retriable failure (default 3). */
  retries?: number;
  /** First backoff, ms (default 250); doubles per attempt, capped at 8 s, with jitter. */
  backoffMs?: number;
  userAgent?: string;
  headers?: Record<string, string>;
  tls?: TlsOptions;
}

export interface RegistryRequest {
  method: string;
  /** The reference's registry domain ("docker.io", "127.0.0.1:5000"). */
  domain: string;
  /** Path on the registry endpoint, starting with "/v2/". */
  path?: string;
  /** An absolute URL instead of `path` (an upload Location, a foreign layer URL). */
  url?: string;
  headers?: Record<string, string>;
  /** A Buffer, or a factory called once per attempt so the body can be resent. */
  body?: Buffer | (() => Readable);
  /** Token scopes this request needs ("repository:x:pull"). */
  scopes?: string[];
  signal?: AbortSignal;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const MAX_AUTH_ROUNDS = 3;

function retriableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Connection resets, refusals and timeouts are worth another try; TLS and DNS-name failures are not. */
function retriableError(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  return !/CERT|TLS|SSL|UNABLE_TO|ENOTFOUND/.test(code);
}

export class Transport {
  readonly authorizer: Authorizer;

  constructor(readonly opts: TransportOptions = {}) {
    this.authorizer =
      opts.authorizer ??
      new Authorizer({
        ...(opts.credentials ? { credentials: opts.credentials } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.userAgent ? { userAgent: opts.userAgent } : {}),
        ...(opts.tls ? { tls: opts.tls } : {}),
      });
  }

  endpoint(domain: string): Endpoint {
    return endpointFor(domain, this.opts);
  }

  /**
   * Send a request and return the final response (any status below 500 other than a redirect or an
   * authorization challenge that could be answered). Throws Unavailable/DeadlineExceeded after the
   * retries, Canceled when `signal` aborts.
   */
  async request(r: RegistryRequest): Promise<HttpResponse> {
    const ep = this.endpoint(r.domain);
    const origin = new URL(ep.base).origin;
    const scopes = r.scopes ?? [];
    let url = r.url ?? ep.base + (r.path ?? '/v2/');
    let method = r.method;
    let body = r.body;
    const retries = this.opts.retries ?? 3;
    let failures = 0;
    let authRounds = 0;
    let redirects = 0;
    for (;;) {
      const target = new URL(url);
      const toRegistry = target.origin === origin;
      const headers: Record<string, string> = {
        'user-agent': this.opts.userAgent ?? 'tsctr',
        ...this.opts.headers,
        ...r.headers,
      };
      const auth = toRegistry ? await this.authorizer.authorization(ep.host, scopes, r.signal) : undefined;
      if (auth) headers.authorization = auth;
      let res: HttpResponse;
      try {
        res = await send({
          method,
          url,
          headers,
          ...(body ? { body: Buffer.isBuffer(body) ? body : body() } : {}),
          timeoutMs: this.opts.timeoutMs ?? 30_000,
          ...(r.signal ? { signal: r.signal } : {}),
          ...(this.opts.tls ? { tls: this.opts.tls } : {}),
        });
      } catch (err) {
        if (r.signal?.aborted || (err instanceof TsctrError && err.kind === 'Canceled')) {
          throw new RegistryError(
            'Canceled',
            `${method} ${redactUrl(url)}: canceled`,
            method,
            redactUrl(url),
            0,
          );
        }
        if (failures < retries && retriableError(err)) {
          await this.backoff(failures++, r.signal);
          continue;
        }
        const kind = err instanceof TimeoutError ? 'DeadlineExceeded' : 'Unavailable';
        const why = err instanceof Error ? err.message : String(err);
        throw new RegistryError(
          kind,
          `${method} ${redactUrl(url)}: ${why} (after ${failures + 1} attempts)`,
          method,
          redactUrl(url),
          0,
        );
      }
      if (res.status === 401 && toRegistry && authRounds < MAX_AUTH_ROUNDS) {
        const values = headerAll(res, 'www-authenticate');
        if (await this.authorizer.challenge(ep.host, values, auth !== undefined, scopes)) {
          discard(res);
          authRounds++;
          continue;
        }
        return res;
      }
      const location = header(res, 'location');
      if (REDIRECTS.has(res.status) && location) {
        discard(res);
        if (++redirects > MAX_REDIRECTS) {
          throw new RegistryError(
            'Unavailable',
            `${method} ${redactUrl(r.url ?? url)}: stopped after ${MAX_REDIRECTS} redirects`,
            method,
            redactUrl(url),
            res.status,
          );
        }
        url = new URL(location, url).toString();
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          if (method !== 'HEAD') method = 'GET';
          body = undefined;
        }
        continue;
      }
      if (retriableStatus(res.status)) {
        if (failures < retries) {
          const retryAfter = Number(header(res, 'retry-after'));
          discard(res);
          await this.backoff(
            failures++,
            r.signal,
            Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined,
          );
          continue;
        }
        const text = await readErrorBody(res);
        throw statusError(method, url, res.status, res.statusText, text, `after ${failures + 1} attempts`);
      }
      return res;
    }
  }

  private async backoff(attempt: number, signal?: AbortSignal, hintMs?: number): Promise<void> {
    const base = this.opts.backoffMs ?? 250;
    const ms = Math.min(hintMs ?? base * 2 ** attempt * (0.5 + Math.random() / 2), 8000);
    try {
      await sleep(ms, undefined, signal ? { signal } : {});
    } catch {
      throw new TsctrError('Canceled', 'request canceled during retry backoff');
    }
  }
}

/** Throw a typed error naming the URL and status unless the response status is one of `ok`. */
export async function expectStatus(
  res: HttpResponse,
  method: string,
  ok: number[],
  context = '',
): Promise<HttpResponse> {
  if (ok.includes(res.status)) return res;
  const text = method === 'HEAD' ? '' : await readErrorBody(res);
  if (method === 'HEAD') discard(res);
  throw statusError(method, res.url, res.status, res.statusText, text, context);
}
