// One HTTP exchange over node:http/https, with no content decoding (blob bytes must arrive untouched),
// an inactivity deadline and cancellation. Retries, redirects and auth live in transport.ts.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable, Transform, pipeline } from 'node:stream';
import { TsctrError } from '../../api/errdefs.js';

export interface TlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /**
   * Inactivity deadline: the exchange fails if this long passes without progress (connecting and sending,
   * waiting for the response head, or between body chunks). Use `signal` for an overall deadline.
   */
  timeoutMs: number;
  signal?: AbortSignal;
  tls?: TlsOptions;
}

export interface HttpResponse {
  url: string;
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/** The first value of a response header, lower-cased name. */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Every value of a header (WWW-Authenticate may repeat). */
export function headerAll(res: HttpResponse, name: string): string[] {
  const v = res.headers[name.toLowerCase()];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export class TimeoutError extends TsctrError {
  constructor(message: string) {
    super('DeadlineExceeded', message);
  }
}

function canceled(url: string): TsctrError {
  return new TsctrError('Canceled', `request to ${url} canceled`);
}

/** Perform one request; resolves once the response head arrives. */
export function send(req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.url);
  const mod = url.protocol === 'https:' ? https : http;
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const headers: Record<string, string> = { ...req.headers };
  if (Buffer.isBuffer(req.body)) headers['content-length'] = String(req.body.length);
  else if (!req.body && req.method !== 'GET' && req.method !== 'HEAD') headers['content-length'] ??= '0';
  const label = `${req.method} ${url.origin}${url.pathname}`;

  return new Promise<HttpResponse>((resolve, reject) => {
    if (req.signal?.aborted) {
      reject(canceled(label));
      return;
    }
    let settled = false;
    let response: IncomingMessage | undefined;
    const cr = mod.request({
      method: req.method,
      protocol: url.protocol,
      hostname,
      port: url.port || undefined,
      path: url.pathname + url.search,
      headers,
      ...(url.protocol === 'https:' ? req.tls : {}),
    });
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(
        () => cr.destroy(new TimeoutError(`${label}: no progress for ${req.timeoutMs} ms`)),
        req.timeoutMs,
      );
    };
    const onAbort = (): void => {
      if (response) response.destroy(canceled(label));
      else cr.destroy(canceled(label));
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    };
    arm();
    cr.on('response', (res) => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      settled = true;
      response = res;
      cr.setTimeout(req.timeoutMs, () => {
        res.destroy(new TimeoutError(`${label}: response body stalled for ${req.timeoutMs} ms`));
      });
      res.on('close', cleanup);
      resolve({
        url: req.url,
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        headers: res.headers,
        body: res,
      });
    });
    cr.on('error', (err) => {
      cleanup();
      if (!settled) reject(err);
    });
    if (req.body instanceof Readable) {
      const progress = new Transform({
        transform(chunk: Buffer, _enc, done) {
          arm();
          done(null, chunk);
        },
      });
      pipeline(req.body, progress, cr, (err) => {
        if (err) cr.destroy(err);
      });
    } else {
      cr.end(req.body);
    }
  });
}

/** Read a (small) body fully; stops at `limit` bytes and fails beyond it. */
export async function readBody(res: HttpResponse, limit = 4 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > limit) {
      res.body.destroy();
      throw new TsctrError('OutOfRange', `${res.url}: response larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Read up to `limit` bytes of an error body for messages, never failing. */
export async function readErrorBody(res: HttpResponse, limit = 64 << 10): Promise<string> {
  try {
    return (await readBody(res, limit)).toString('utf8');
  } catch {
    return '';
  }
}

/** Throw away a response body so its connection can be reused. */
export function discard(res: HttpResponse): void {
  res.body.resume();
  res.body.on('error', () => undefined);
}
