// The one place where an error becomes an HTTP status (the role moby's httpstatus.FromError plays).
import { type DockerErrorKind, kindOf } from '../errdefs/index.js';

const statusOfKind: Record<DockerErrorKind, number> = {
  NotFound: 404,
  InvalidParameter: 400,
  TooLarge: 413,
  Conflict: 409,
  NotModified: 304,
  Unauthorized: 401,
  Forbidden: 403,
  NotImplemented: 501,
  Unavailable: 503,
  System: 500,
};

export function httpStatusOf(err: unknown): number {
  return statusOfKind[kindOf(err)];
}
