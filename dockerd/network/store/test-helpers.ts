// Shared set-up of the store tests: a store in a temporary directory with given host routes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostRoute } from '../ipam/routes.js';
import { defaultBridgeOptions } from './bridge-options.js';
import { parseCreateRequest } from './request.js';
import { NetworkStore } from './store.js';
import type { NetworkCreateRequest } from './types.js';

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tsctr-netstore-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const DOCKER0 = {
  bridgeName: 'docker0',
  options: defaultBridgeOptions({ bridgeName: 'docker0', icc: true, hostBindingIPv4: '0.0.0.0' }),
};

/** A store with none, host and the default bridge, as the daemon opens it. */
export async function openStore(dir: string, routes: HostRoute[] = []): Promise<NetworkStore> {
  const store = await NetworkStore.open({ dir, hostRoutes: () => routes });
  await store.ensureBuiltins();
  await store.ensureDefaultBridge(DOCKER0);
  return store;
}

/** What `docker network create NAME` (CLI 28) sends, with overrides. */
export function cliRequest(name: string, extra: Record<string, unknown> = {}): NetworkCreateRequest {
  return parseCreateRequest({
    Driver: 'bridge',
    Scope: '',
    IPAM: { Driver: 'default', Options: {}, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigOnly: false,
    ConfigFrom: null,
    Options: {},
    Labels: {},
    Name: name,
    CheckDuplicate: true,
    ...extra,
  });
}

/** `IPAM.Config` entries for cliRequest. */
export function ipam(...config: Record<string, unknown>[]): Record<string, unknown> {
  return { IPAM: { Driver: 'default', Options: {}, Config: config } };
}
