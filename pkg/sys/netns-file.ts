// Persistent network namespaces made without spawning `ip netns add`: the calling thread unshares a
// new namespace, bind-mounts it onto a file (so it outlives every process in it), brings `lo` up
// and returns to its own namespace before any other JavaScript can run. runc is then given the
// file's path, so the namespace is ready before the task exists (as CRI, podman and nerdctl do).
import { closeSync, constants, openSync, rmSync } from 'node:fs';
import { MNT_DETACH, mountSyscall, umount } from './mount.js';
import { CLONE_NEWNET, IFF_UP, setInterfaceFlags, setns, unshare } from './netns.js';

/** Runs `fn` with the calling thread moved by `enter`, and always brings it back home. */
function awayFromHome<T>(enter: () => void, fn: () => T): T {
  const home = openSync('/proc/thread-self/ns/net', constants.O_RDONLY);
  try {
    enter();
    try {
      return fn();
    } finally {
      // Back home, whatever happened; a thread left in another namespace would be far worse.
      setns(home, CLONE_NEWNET);
    }
  } finally {
    closeSync(home);
  }
}

/** Makes a new network namespace pinned at `file` (which must not exist), with `lo` up. */
export function createNetns(file: string): void {
  closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_RDONLY, 0o444));
  try {
    awayFromHome(
      () => unshare(CLONE_NEWNET),
      () => {
        mountSyscall({ type: 'bind', source: '/proc/thread-self/ns/net', options: ['bind'] }, file);
        setInterfaceFlags('lo', IFF_UP);
      },
    );
  } catch (err) {
    removeNetns(file);
    throw err;
  }
}

/** Runs `fn` synchronously inside the namespace at `file` (a pinned one, or /proc/PID/ns/net). */
export function withNetns<T>(file: string, fn: () => T): T {
  const target = openSync(file, constants.O_RDONLY);
  try {
    return awayFromHome(() => setns(target, CLONE_NEWNET), fn);
  } finally {
    closeSync(target);
  }
}

/** Unpins and removes a namespace file; a missing or unmounted one is fine (idempotent). */
export function removeNetns(file: string): void {
  umount(file, MNT_DETACH);
  rmSync(file, { force: true });
}
