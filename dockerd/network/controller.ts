// Docker networking wired to the container lifecycle: at create the OCI spec gets the namespace to
// use (the host's, another container's, or the container's own sandbox file); before each start the
// sandbox is made and the network's driver joins it; at exit, removal and after a daemon restart
// that found the container stopped, it is torn down. Orphan sandboxes are swept at start.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { InvalidParameter } from '../errdefs/index.js';
import type { LifecycleHooks, SpecContext } from '../backend/lifecycle.js';
import type { ContainerRecord } from '../backend/types.js';
import { type NetworkDriver, isolatedDriver } from './driver.js';
import { parseNetworkMode } from './mode.js';
import { createNetns, removeNetns } from './netns.js';
import { networkState } from './state.js';

export interface ContainerLookup {
  get(ref: string): ContainerRecord;
  find(ref: string): ContainerRecord | undefined;
}

export class NetworkController implements LifecycleHooks {
  readonly name = 'network';
  private readonly dir: string;
  private readonly drivers = new Map<string, NetworkDriver>([
    ['bridge', isolatedDriver],
    ['none', isolatedDriver],
  ]);

  constructor(
    execRoot: string,
    private readonly containers: ContainerLookup,
    private readonly log: Logger,
  ) {
    this.dir = path.join(execRoot, 'netns');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Where a container's own network namespace is pinned while it runs. */
  sandboxPath(id: string): string {
    return path.join(this.dir, id);
  }

  configureSpec({ rec, spec }: SpecContext): void {
    const mode = parseNetworkMode(rec.HostConfig.NetworkMode);
    let nsPath: string | undefined;
    if (mode.kind === 'container') {
      const other = this.containers.get(mode.ref);
      if (!other.State.Running)
        throw new InvalidParameter(`cannot join network of a non running container: ${other.Id}`);
      const own = parseNetworkMode(other.HostConfig.NetworkMode).kind === 'sandbox';
      nsPath = own ? this.sandboxPath(other.Id) : `/proc/${other.State.Pid}/ns/net`;
    } else if (mode.kind === 'sandbox') nsPath = this.sandboxPath(rec.Id);
    const namespaces = (spec.linux?.namespaces ?? []).filter((n) => n.type !== 'network');
    if (nsPath) namespaces.push({ type: 'network', path: nsPath });
    spec.linux = { ...spec.linux, namespaces };
  }

  async sandbox({ rec }: { rec: ContainerRecord }): Promise<void> {
    const mode = parseNetworkMode(rec.HostConfig.NetworkMode);
    if (mode.kind !== 'sandbox') return;
    const file = this.sandboxPath(rec.Id);
    removeNetns(file); // a leftover from a run whose exit we did not see
    createNetns(file);
    const st = networkState(rec);
    st.SandboxKey = file;
    st.SandboxID = randomBytes(32).toString('hex');
    await this.driver(mode.network).join({ containerId: rec.Id, network: mode.network, sandboxPath: file });
  }

  async exited(rec: ContainerRecord): Promise<void> {
    await this.teardown(rec);
  }

  async removed(rec: ContainerRecord): Promise<void> {
    await this.teardown(rec);
  }

  async restored(rec: ContainerRecord, state: 'running' | 'stopped' | 'restarting'): Promise<void> {
    if (state !== 'running') await this.teardown(rec);
  }

  /** Sandboxes left by containers that no longer run (the daemon was down when they went). */
  sweep(): number {
    let swept = 0;
    for (const id of readdirSync(this.dir)) {
      const rec = this.containers.find(id);
      if (rec?.State.Running) continue;
      try {
        removeNetns(path.join(this.dir, id));
        swept++;
      } catch (err) {
        this.log.warn({ id, err: (err as Error).message }, 'sweeping a network sandbox failed');
      }
    }
    return swept;
  }

  private driver(network: string): NetworkDriver {
    const d = this.drivers.get(network);
    if (!d) throw new InvalidParameter(`network ${network} not found`);
    return d;
  }

  private async teardown(rec: ContainerRecord): Promise<void> {
    const mode = parseNetworkMode(rec.HostConfig.NetworkMode);
    if (mode.kind !== 'sandbox') return;
    const file = this.sandboxPath(rec.Id);
    await this.drivers
      .get(mode.network)
      ?.leave({ containerId: rec.Id, network: mode.network, sandboxPath: file });
    removeNetns(file);
  }
}
