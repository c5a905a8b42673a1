// Errors of the archive package. They are the project's core TsctrError (so the gRPC edge and
// dockerd/http map their kind: NotFound 404, InvalidArgument 400, anything else 500) and also carry
// an errno-style `code` for callers that prefer to switch on that.
import { type ErrorKind, TsctrError } from '../../api/errdefs.js';

export type ArchiveErrorCode = 'ENOENT' | 'ENOTDIR' | 'EINVAL' | 'ELOOP' | 'EEXIST';

export class ArchiveError extends TsctrError {
  constructor(
    kind: ErrorKind,
    readonly code: ArchiveErrorCode,
    message: string,
  ) {
    super(kind, message);
  }
}

/** A path that does not exist (HTTP 404 once the caller words it with `couldNotFindMessage`). */
export function notFound(message: string): ArchiveError {
  return new ArchiveError('NotFound', 'ENOENT', message);
}

/** A refused request or tar entry (HTTP 400). */
export function invalid(message: string): ArchiveError {
  return new ArchiveError('InvalidArgument', 'EINVAL', message);
}

/** A path that names a non-directory where a directory is needed ("…/file/", "file/x"). */
export function notADirectory(message: string): ArchiveError {
  return new ArchiveError('InvalidArgument', 'ENOTDIR', message);
}

export function tooManyLinks(message: string): ArchiveError {
  return new ArchiveError('Unknown', 'ELOOP', message);
}

/** Go's %q for the common case (printable text): a JSON string literal. */
export function q(s: string): string {
  return JSON.stringify(s);
}

export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
