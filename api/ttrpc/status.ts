// google.rpc.Status <-> thrown values, for both ends of a ttrpc connection.

import { TsctrError, fromStatus, grpcCodeOf, wireMessage } from '../errdefs.js';
import type { Status } from '../gen/google/rpc/status.js';

/** google.rpc.Code values ttrpc itself produces. */
export const Code = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
} as const;

export function status(code: number, message: string): Status {
  return { code, message, details: [] };
}

/** Node system error codes, mapped the way ttrpc maps Go's os errors (services.go convertCode). */
const codeOfErrno: Record<string, number> = {
  ENOENT: Code.NotFound,
  EEXIST: Code.AlreadyExists,
  EACCES: Code.PermissionDenied,
  EPERM: Code.PermissionDenied,
  EINVAL: Code.InvalidArgument,
};

/**
 * The status a handler's thrown value becomes: a TsctrError by its kind (message worded as containerd
 * does, "<context>: not found"), anything with a numeric `code` and a `message` as is, a Node system
 * error by its errno name, everything else UNKNOWN.
 */
export function statusOf(err: unknown): Status {
  if (err instanceof TsctrError) return status(grpcCodeOf[err.kind], wireMessage(err));
  if (typeof err === 'object' && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : String(err);
    if (typeof code === 'number' && Number.isInteger(code) && code > 0) return status(code, text);
    if (typeof code === 'string' && code in codeOfErrno) return status(codeOfErrno[code], text);
    return status(Code.Unknown, text);
  }
  return status(Code.Unknown, String(err));
}

/** The error a non-OK status becomes on the client side. */
export function errorOf(st: Status): TsctrError {
  return fromStatus(st.code, st.message);
}
