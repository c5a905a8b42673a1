// The kinds of error the Docker layer raises, as moby's errdefs has them. They carry no HTTP status:
// the routes' edge (`dockerd/http/status.ts`) maps a kind to its status once. Messages are Docker's
// exact texts, because clients parse them.
import { TsctrError, type ErrorKind } from '../../api/errdefs.js';

export type DockerErrorKind =
  | 'NotFound'
  | 'InvalidParameter'
  | 'TooLarge'
  | 'Conflict'
  | 'NotModified'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotImplemented'
  | 'Unavailable'
  | 'System';

export class DockerError extends Error {
  constructor(
    message: string,
    readonly kind: DockerErrorKind = 'System',
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFound extends DockerError {
  constructor(message: string) {
    super(message, 'NotFound');
  }
}

export class InvalidParameter extends DockerError {
  constructor(message: string, kind: 'InvalidParameter' | 'TooLarge' = 'InvalidParameter') {
    super(message, kind);
  }
}

/** A request body over the size bound: still an invalid parameter, of its own kind (413 at the edge). */
export class RequestTooLarge extends InvalidParameter {
  constructor(message = 'request body too large') {
    super(message, 'TooLarge');
  }
}

export class Conflict extends DockerError {
  constructor(message: string) {
    super(message, 'Conflict');
  }
}

/** Nothing to do (start of a running container, stop of a stopped one): answered with no body. */
export class NotModified extends DockerError {
  constructor(message = 'not modified') {
    super(message, 'NotModified');
  }
}

export class Unauthorized extends DockerError {
  constructor(message: string) {
    super(message, 'Unauthorized');
  }
}

export class Forbidden extends DockerError {
  constructor(message: string) {
    super(message, 'Forbidden');
  }
}

export class NotImplemented extends DockerError {
  constructor(message: string) {
    super(message, 'NotImplemented');
  }
}

export class Unavailable extends DockerError {
  constructor(message: string) {
    super(message, 'Unavailable');
  }
}

export class SystemError extends DockerError {
  constructor(message: string) {
    super(message, 'System');
  }
}

/** The core's (tsctrd's) error kinds seen from the Docker layer. */
const kindOfCoreKind: Partial<Record<ErrorKind, DockerErrorKind>> = {
  NotFound: 'NotFound',
  AlreadyExists: 'Conflict',
  InvalidArgument: 'InvalidParameter',
  FailedPrecondition: 'Conflict',
  Unavailable: 'Unavailable',
  NotImplemented: 'NotImplemented',
};

/** The kind of any thrown value: a DockerError's own, a core error's mapped, else System. */
export function kindOf(err: unknown): DockerErrorKind {
  if (err instanceof DockerError) return err.kind;
  if (err instanceof TsctrError) return kindOfCoreKind[err.kind] ?? 'System';
  return 'System';
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
 * Prefix an error's message while keeping its kind, like moby's errors.Wrapf over a typed error:
 * `wrapError(e, 'cannot kill container: c1')` gives "cannot kill container: c1: <original message>".
 */
export function wrapError(err: unknown, prefix: string): DockerError {
  const wrapped = new DockerError(`${prefix}: ${errorMessage(err)}`, kindOf(err));
  wrapped.cause = err;
  return wrapped;
}
