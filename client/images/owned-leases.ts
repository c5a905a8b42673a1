// Leases a tsctr process takes for its own work carry its pid and boot id. If that process dies
// (or tsctrd dies under it) the lease would otherwise hold half-done ingests and extract snapshots
// for a day; the next pull on this host finds such orphans and drops them.
import { readFileSync } from 'node:fs';
import type { Connection } from '../connection.js';
import { deleteLease, listLeases } from '../leases.js';

const PID = 'tsctr.io/owner.pid';
const BOOT = 'tsctr.io/owner.boot';

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

export function ownerLabels(): Record<string, string> {
  return { [PID]: String(process.pid), [BOOT]: bootId() };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes this host's leases whose owning process is gone. Returns how many. */
export async function dropOrphanLeases(c: Connection): Promise<number> {
  const boot = bootId();
  const leases = await listLeases(c, [`labels."${PID}"`]);
  let dropped = 0;
  for (const l of leases) {
    const pid = Number(l.labels[PID]);
    if (l.labels[BOOT] !== boot || !Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    await deleteLease(c, l.id).catch(() => undefined);
    dropped++;
  }
  return dropped;
}
