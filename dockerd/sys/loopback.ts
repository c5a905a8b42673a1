// Brings up `lo` inside a container's network namespace without spawning `nsenter ip link`: the
// calling thread enters the namespace (setns affects only that thread), sets IFF_UP on lo with
// two ioctls, and returns to its own namespace before any other JavaScript can run.
import { closeSync, constants, openSync } from 'node:fs';
import { CLONE_NEWNET, IFF_UP, setInterfaceFlags, setns } from '../../pkg/sys/netns.js';

export function loopbackUp(pid: number): void {
  const target = openSync(`/proc/${pid}/ns/net`, constants.O_RDONLY);
  const home = openSync('/proc/thread-self/ns/net', constants.O_RDONLY);
  try {
    setns(target, CLONE_NEWNET);
    try {
      setInterfaceFlags('lo', IFF_UP);
    } finally {
      // Back home, whatever happened; a thread left in the container's namespace would be far worse.
      setns(home, CLONE_NEWNET);
    }
  } finally {
    closeSync(target);
    closeSync(home);
  }
}
