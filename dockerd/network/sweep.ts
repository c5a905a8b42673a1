// After a daemon restart: what containers that went away while it was down left behind (pinned
// namespaces, address allocations, veths, bridges no network uses any more).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ContainerRecord } from '../backend/types.js';
import type { Networking } from './networking.js';
import { removeNetns } from './netns.js';
import { networkState } from './state.js';

export async function sweepNetworking(
  n: Networking,
  netnsDir: string,
  containers: { find(ref: string): ContainerRecord | undefined; list(): ContainerRecord[] },
  log: Logger,
): Promise<number> {
  let swept = 0;
  for (const id of readdirSync(netnsDir)) {
    const rec = containers.find(id);
    if (rec?.State.Running) continue;
    try {
      removeNetns(path.join(netnsDir, id));
      swept++;
    } catch (err) {
      log.warn({ id, err: (err as Error).message }, 'sweeping a network sandbox failed');
    }
  }
  const running = new Set(
    containers
      .list()
      .filter((r) => r.State.Running)
      .map((r) => r.Id),
  );
  await n.store.sweepEndpoints((key) => running.has(key));
  const bridges = n.store.list().flatMap((r) => {
    const b = n.bridgeOf(r);
    return b ? [b] : [];
  });
  const live = containers
    .list()
    .filter((r) => r.State.Running)
    .flatMap((r) =>
      Object.values(networkState(r).Networks)
        .filter((e) => e.EndpointID && e.NetworkID)
        .map((e) => ({ containerId: r.Id, network: e.NetworkID ?? '' })),
    );
  for (const b of bridges) await n.driver.sweep(b.bridge, live);
  await n.driver.sweepNetworks(bridges.map((b) => b.bridge));
  return swept;
}
