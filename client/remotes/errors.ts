// Errors from registry HTTP exchanges: typed (errdefs kinds) and naming the method, URL and status.
import { type ErrorKind, TsctrError } from '../../api/errdefs.js';

/** One entry of the distribution spec's error body: {"errors":[{"code","message","detail"}]}. */
export interface RegistryErrorEntry {
  code: string;
  message?: string;
}

export class RegistryError extends TsctrError {
  constructor(
    kind: ErrorKind,
    message: string,
    readonly method: string,
    readonly url: string,
    /** HTTP status, or 0 when no response came back. */
    readonly status: number,
    readonly errors: RegistryErrorEntry[] = [],
  ) {
    super(kind, message);
  }
}

/** The errdefs kind for an HTTP status from a registry. 401/403 (access denied) are FailedPrecondition. */
export function kindOfStatus(status: number): ErrorKind {
  if (status === 404) return 'NotFound';
  if (status === 400 || status === 405 || status === 413 || status === 414) return 'InvalidArgument';
  if (status === 401 || status === 403 || status === 409 || status === 412) return 'FailedPrecondition';
  if (status === 416) return 'OutOfRange';
  if (status === 408 || status === 429 || status >= 500) return 'Unavailable';
  return 'Unknown';
}

/** Parse the registry's JSON error body, if it is one. */
export function parseErrorBody(body: string): RegistryErrorEntry[] {
  try {
    const parsed: unknown = JSON.parse(body);
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      !('errors' in parsed) ||
      !Array.isArray(parsed.errors)
    ) {
      return [];
    }
    const out: RegistryErrorEntry[] = [];
    for (const e of parsed.errors as unknown[]) {
      if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') {
        out.push({
          code: e.code,
          ...('message' in e && typeof e.message === 'string' ? { message: e.message } : {}),
        });
      }
    }
    return out;
  } catch {
    return [];
  }
}

/** "GET http://…/v2/x/manifests/latest: 404 Not Found (MANIFEST_UNKNOWN: manifest unknown)". */
export function statusError(
  method: string,
  url: string,
  status: number,
  statusText: string,
  body = '',
  context = '',
): RegistryError {
  const entries = parseErrorBody(body);
  const detail = entries.length
    ? ` (${entries.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; ')})`
    : '';
  const prefix = context ? `${context}: ` : '';
  const message = `${prefix}${method} ${redactUrl(url)}: ${status} ${statusText}${detail}`.trim();
  return new RegistryError(kindOfStatus(status), message, method, redactUrl(url), status, entries);
}

/** Drop query strings (upload state, signed URLs) from URLs in messages. */
export function redactUrl(url: string): string {
  const i = url.indexOf('?');
  return i === -1 ? url : `${url.slice(0, i)}?…`;
}
