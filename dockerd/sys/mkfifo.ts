// mkfifo(3) through koffi (Node's fs cannot make FIFOs; spawning mkfifo costs a process per FIFO).
// libc's function is bound on first use.
import { constants as osConstants } from 'node:os';
import koffi from 'koffi';

type MknodFn = (path: string, mode: number, dev: bigint) => number;

let loaded: { mknod: MknodFn; errno: () => number } | undefined;

const S_IFIFO = 0o010000;
const errnoName = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

/** Creates a FIFO at `path` (its last component is never followed: mknod fails with EEXIST). */
export function mkfifo(path: string, mode: number): void {
  if (!loaded) {
    const libc = koffi.load('libc.so.6');
    const mknod = libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)') as unknown as MknodFn;
    loaded = { mknod, errno: () => koffi.errno() };
  }
  if (loaded.mknod(path, S_IFIFO | (mode & 0o777), 0n) !== 0) {
    const errno = loaded.errno();
    const code = errnoName.get(errno) ?? `E${errno}`;
    const err = new Error(`mknod ${path}: ${code}`) as NodeJS.ErrnoException;
    err.code = code;
    err.errno = errno;
    err.syscall = 'mknod';
    throw err;
  }
}
