// Typed errors for the Docker API layer, and the single place that turns any thrown value into an
// HTTP status and message (the role moby's httpstatus.FromError plays).

import { TsctrError, type ErrorKind } from '../../api/errdefs.js';

/** Base class: an error that knows its HTTP status. Throw a subclass from handlers and backends. */
export class DockerError extends Error {
  readonly status: number;

  constructor(message: string, status = 500) {
    super(message);
    this.status = status;
    this.name = new.target.name;
  }
}

export class NotFound extends DockerError {
  constructor(message: string) {
    super(message, 404);
  }
}

export class InvalidParameter extends DockerError {
  constructor(message: string, status = 400) {
    super(message, status);
  }
}

/** A request body over the size bound. Still an InvalidParameter, but answered with 413. */
export class RequestTooLarge extends InvalidParameter {
  constructor(message = 'request body too large') {
    super(message, 413);
  }
}

export class Conflict extends DockerError {
  constructor(message: string) {
    super(message, 409);
  }
}

/** Answered as 304 with an empty body (start of a running container, stop of a stopped one). */
export class NotModified extends DockerError {
  constructor(message = 'not modified') {
    super(message, 304);
  }
}

export class Unauthorized extends DockerError {
  constructor(message: string) {
    super(message, 401);
  }
}

export class Forbidden extends DockerError {
  constructor(message: string) {
    super(message, 403);
  }
}

export class NotImplemented extends DockerError {
  constructor(message: string) {
    super(message, 501);
  }
}

export class Unavailable extends DockerError {
  constructor(message: string) {
    super(message, 503);
  }
}

export class SystemError extends DockerError {
  constructor(message: string) {
    super(message, 500);
  }
}

/** HTTP status for each kind of the project's core errors; kinds not listed give 500. */
const statusOfKind: Partial<Record<ErrorKind, number>> = {
  NotFound: 404,
  AlreadyExists: 409,
  InvalidArgument: 400,
  FailedPrecondition: 409,
  Unavailable: 503,
  NotImplemented: 501,
};

/** The HTTP status an error is answered with: DockerError's own, core error kinds mapped, else 500. */
export function httpStatusOf(err: unknown): number {
  if (err instanceof DockerError) return err.status;
  if (err instanceof TsctrError) return statusOfKind[err.kind] ?? 500;
  return 500;
}

/** The text to put in `{"message": …}` for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return String(err);
  } catch {
    return 'unknown error';
  }
}

/**
 * Prefix an error's message while keeping its HTTP status, like moby's errors.Wrapf over a typed error:
 * `wrapError(e, 'cannot kill container: c1')` gives "cannot kill container: c1: <original message>".
 */
export function wrapError(err: unknown, prefix: string): DockerError {
  const wrapped = new DockerError(`${prefix}: ${errorMessage(err)}`, httpStatusOf(err));
  wrapped.cause = err;
  return wrapped;
}

/** The offending character as Go quotes it in its JSON errors. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '\n') return "'\\n'";
  if (c === '\r') return "'\\r'";
  if (c === '\t') return "'\\t'";
  return `'${c}'`;
}

/**
 * Go-like wording for a JSON.parse failure (`invalid character 'x' looking for beginning of value`,
 * `unexpected EOF`), derived from V8's message. Approximate, but always names the problem.
 */
export function jsonSyntaxMessage(text: string, err: unknown): string {
  const msg = errorMessage(err);
  if (/Unexpected end of JSON input|Unterminated string/.test(msg)) return 'unexpected EOF';
  const pos = /at position (\d+)/.exec(msg);
  const token = /^Unexpected token '(.)'/.exec(msg);
  if (pos && Number(pos[1]) >= text.length) return 'unexpected EOF';
  const ch = pos ? text.charAt(Number(pos[1])) : token ? token[1] : '';
  if (!ch) return msg.charAt(0).toLowerCase() + msg.slice(1);
  const where = /property name/.test(msg)
    ? /after property name/.test(msg)
      ? 'after object key'
      : 'looking for beginning of object key string'
    : /after array element/.test(msg)
      ? 'after array element'
      : /after property value/.test(msg)
        ? 'after object key:value pair'
        : 'looking for beginning of value';
  return `invalid character ${quoteChar(ch)} ${where}`;
}

/**
 * Parse the first JSON value in `text` (trailing data is ignored, as Go's json.Decoder does);
 * malformed input throws InvalidParameter(`<prefix>: <Go-like reason>`).
 */
export function parseJsonText(text: string, prefix = 'invalid JSON'): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const trailing = /^Unexpected non-whitespace character after JSON at position (\d+)/.exec(
      errorMessage(err),
    );
    if (trailing) {
      try {
        return JSON.parse(text.slice(0, Number(trailing[1])));
      } catch {
        // fall through to the original error
      }
    }
    throw new InvalidParameter(`${prefix}: ${jsonSyntaxMessage(text, err)}`);
  }
}
