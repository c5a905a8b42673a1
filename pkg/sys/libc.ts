// The one handle on libc for every koffi binding in pkg/sys. libc is opened on the first call of any
// binding and each function is bound on its own first call, never at import: a program (the shim
// above all, one per container) pays only for the calls it makes.
import { constants as osConstants } from 'node:os';
import koffi, { type LibraryHandle } from 'koffi';

let lib: LibraryHandle | undefined;

/** libc.so.6, loaded once. */
export function libc(): LibraryHandle {
  lib ??= koffi.load('libc.so.6');
  return lib;
}

/**
 * A function of libc bound on its first call. `proto` is a C prototype koffi parses, `T` the
 * JavaScript signature it gets.
 */
export function lazyFunc<T>(proto: string): () => T {
  let fn: T | undefined;
  return () => {
    fn ??= libc().func(proto) as unknown as T;
    return fn;
  };
}

export function errno(): number {
  return koffi.errno();
}

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

/** The errno name ("ENOENT") of a number. */
export function errnoName(n: number): string {
  return errnoNames.get(n) ?? `E${n}`;
}

/** A Node-style error for the failed call (`code` is the errno name), as node:fs throws them. */
export function syscallError(call: string, path?: string): NodeJS.ErrnoException {
  const n = koffi.errno();
  const code = errnoName(n);
  const err = new Error(`${call}${path === undefined ? '' : ` ${path}`}: ${code}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = n;
  err.syscall = call;
  if (path !== undefined) err.path = path;
  return err;
}

/** The error the shim and the daemons have always thrown for a failed call: "<what> failed: errno N". */
export function failedError(what: string): NodeJS.ErrnoException {
  const e = new Error(`${what} failed: errno ${koffi.errno()}`) as NodeJS.ErrnoException;
  e.errno = koffi.errno();
  return e;
}
