import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kindOf } from '../../errdefs/index.js';
import { defaultBridgeSpec } from './builtin.js';
import { NetworkStore } from './store.js';
import { DOCKER0, cliRequest, ipam, openStore, tempDir } from './test-helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let store: NetworkStore;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  store = await openStore(dir);
});
afterEach(() => cleanup());

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return `${kindOf(err)}: ${(err as Error).message}`;
  }
  throw new Error('expected a rejection');
}

describe('addresses', () => {
  it('hands out the lowest free address with its MAC, and reuses freed ones', async () => {
    expect(await store.allocate('bridge', 'c1')).toEqual({
      IPAddress: '172.17.0.2',
      IPPrefixLen: 16,
      Gateway: '172.17.0.1',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPv6Gateway: '',
      MacAddress: '02:42:ac:11:00:02',
    });
    expect((await store.allocate('bridge', 'c2')).IPAddress).toBe('172.17.0.3');
    expect((await store.allocate('bridge', 'c1')).IPAddress).toBe('172.17.0.2'); // idempotent
    expect(await store.release('bridge', 'c1')).toBe(true);
    expect(await store.release('bridge', 'c1')).toBe(false);
    expect((await store.allocate('bridge', 'c3')).IPAddress).toBe('172.17.0.2');
    expect(store.addresses('bridge', 'c2')?.MacAddress).toBe('02:42:ac:11:00:03');
  });

  it('gives each new network the next pool, skipping pools that overlap host routes', async () => {
    const routed = await openStore((await tempDir()).dir, [
      { destination: '172.18.0.0/16', iface: 'eth1' },
      { destination: '172.17.0.0/16', iface: 'docker0' },
    ]);
    const n1 = await routed.create(cliRequest('n1'));
    expect(n1.record.IPAM.Config).toEqual([{ Subnet: '172.19.0.0/16', Gateway: '172.19.0.1' }]);
    expect((await routed.allocate('n1', 'c')).MacAddress).toBe('02:42:ac:13:00:02');
    expect(routed.find('bridge').IPAM.Config).toEqual([{ Subnet: '172.17.0.0/16' }]);
  });

  it('takes addresses from the ip-range and honours a requested address', async () => {
    await store.create(
      cliRequest(
        'n2',
        ipam({ Subnet: '10.123.0.0/24', IPRange: '10.123.0.128/25', Gateway: '10.123.0.254' }),
      ),
    );
    expect((await store.allocate('n2', 'c1', { ipv4: '10.123.0.200' })).MacAddress).toBe('02:42:0a:7b:00:c8');
    expect((await store.allocate('n2', 'c2')).IPAddress).toBe('10.123.0.128');
    expect((await store.allocate('n2', 'c3', { ipv4: '10.123.0.5' })).IPPrefixLen).toBe(24);
    expect(await refusal(store.allocate('n2', 'c4', { ipv4: '10.123.0.200' }))).toBe(
      'Forbidden: Address already in use',
    );
    expect(await refusal(store.allocate('n2', 'c4', { ipv4: '10.123.0.254' }))).toBe(
      'Forbidden: Address already in use',
    );
    expect(await refusal(store.allocate('n2', 'c4', { ipv4: '10.199.9.9' }))).toBe(
      "InvalidParameter: Invalid address 10.199.9.9: It does not belong to any of this network's subnets",
    );
    expect(await refusal(store.allocate('n2', 'c4', { ipv4: 'zz' }))).toBe(
      'InvalidParameter: invalid IPv4 address: zz',
    );
    expect(await refusal(store.allocate('n2', 'c1', { ipv4: '10.123.0.201' }))).toMatch(/^Conflict: /);
  });

  it('refuses a requested address where dockerd does', async () => {
    await store.create(cliRequest('n1'));
    expect(await refusal(store.allocate('bridge', 'c', { ipv4: '172.17.0.9' }))).toBe(
      'InvalidParameter: user specified IP address is supported on user defined networks only',
    );
    expect(await refusal(store.allocate('n1', 'c', { ipv4: '172.18.0.9' }))).toBe(
      'InvalidParameter: user specified IP address is supported only when connecting to networks with user configured subnets',
    );
  });

  it('skips aux addresses and runs out with libnetwork text', async () => {
    const { record } = await store.create(
      cliRequest('small', ipam({ Subnet: '10.199.1.0/29', AuxiliaryAddresses: { host1: '10.199.1.2' } })),
    );
    expect(record.IPAM.Config).toEqual([
      { Subnet: '10.199.1.0/29', AuxiliaryAddresses: { host1: '10.199.1.2' } },
    ]);
    const got = [];
    for (const k of ['a', 'b', 'c', 'd']) got.push((await store.allocate('small', k)).IPAddress);
    expect(got).toEqual(['10.199.1.3', '10.199.1.4', '10.199.1.5', '10.199.1.6']);
    expect(await refusal(store.allocate('small', 'e'))).toBe(
      `System: no available IPv4 addresses on this network's address pools: small (${record.Id})`,
    );
  });

  it('allocates from a given IPv6 subnet too', async () => {
    await store.create(
      cliRequest('v6', {
        EnableIPv6: true,
        ...ipam({ Subnet: '10.199.2.0/24' }, { Subnet: 'fd00:dead:beef::/64', Gateway: 'fd00:dead:beef::1' }),
      }),
    );
    expect(await store.allocate('v6', 'c1')).toEqual({
      IPAddress: '10.199.2.2',
      IPPrefixLen: 24,
      Gateway: '10.199.2.1',
      GlobalIPv6Address: 'fd00:dead:beef::2',
      GlobalIPv6PrefixLen: 64,
      IPv6Gateway: 'fd00:dead:beef::1',
      MacAddress: '02:42:0a:c7:02:02',
    });
    expect((await store.allocate('v6', 'c2', { ipv6: 'fd00:dead:beef::99' })).GlobalIPv6Address).toBe(
      'fd00:dead:beef::99',
    );
    expect(await refusal(store.allocate('v6', 'c3', { ipv6: '10.199.2.9' }))).toBe(
      'InvalidParameter: invalid IPv6 address: 10.199.2.9',
    );
  });
});

describe('persistence', () => {
  it('keeps networks and their addresses across a restart, handing nothing out twice', async () => {
    const { record } = await store.create(cliRequest('n1'));
    await store.allocate('n1', 'c1');
    await store.allocate('bridge', 'c1');
    const bridgeId = store.find('bridge').Id;

    const again = await openStore(dir);
    expect(again.find('n1').Id).toBe(record.Id);
    expect(again.find('n1').IPAM).toEqual(record.IPAM);
    expect(again.find('bridge').Id).toBe(bridgeId); // unchanged default bridge keeps its id
    expect(again.addresses('n1', 'c1')?.IPAddress).toBe('172.18.0.2');
    expect((await again.allocate('n1', 'c2')).IPAddress).toBe('172.18.0.3');
    expect((await again.allocate('bridge', 'c2')).IPAddress).toBe('172.17.0.3');
    // The next network after a restart takes the first free pool again.
    expect((await again.create(cliRequest('n2'))).record.ipv4?.subnet).toBe('172.19.0.0/16');
  });

  it('ignores a torn temp file and a truncated record, and removes the temp file', async () => {
    const { record } = await store.create(cliRequest('n1'));
    const other = 'a'.repeat(64);
    await writeFile(join(dir, `.${record.Id}.json.123abc.tmp`), '{"Name":"n1","Id":');
    await writeFile(join(dir, `${other}.json`), '{"Name":"half');
    const warnings: unknown[] = [];
    const again = await NetworkStore.open({
      dir,
      hostRoutes: () => [],
      log: { warn: (o: unknown) => warnings.push(o) } as never,
    });
    expect(again.find('n1').Id).toBe(record.Id);
    expect(again.all().map((n) => n.Name)).toEqual(['none', 'host', 'bridge', 'n1']);
    expect(warnings).toHaveLength(1);
    const files = await readdir(dir);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(files).toContain(`${other}.json`); // left for a human to look at
  });

  it('writes one JSON file per network and removes it with the network', async () => {
    const { record } = await store.create(cliRequest('n1'));
    const saved = JSON.parse(await readFile(join(dir, `${record.Id}.json`), 'utf8'));
    expect(saved).toEqual(record);
    await store.remove('n1');
    expect(await readdir(dir)).not.toContain(`${record.Id}.json`);
  });

  it('replaces the default bridge when its subnet changes, and drops it for --bridge=none', async () => {
    const old = store.find('bridge');
    await store.allocate('bridge', 'c1');
    const moved = await store.ensureDefaultBridge({
      ...DOCKER0,
      subnet: '10.199.8.0/24',
      gateway: '10.199.8.1',
    });
    expect(moved?.Id).not.toBe(old.Id);
    expect(moved?.IPAM.Config).toEqual([{ Subnet: '10.199.8.0/24', Gateway: '10.199.8.1' }]);
    expect(moved?.endpoints).toEqual({});
    expect(await store.ensureDefaultBridge(null)).toBeNull();
    expect(() => store.find('bridge')).toThrow('network bridge not found');
    expect((await readdir(dir)).filter((f) => f.endsWith('.json'))).toHaveLength(2);
  });

  it('takes --bip, --fixed-cidr and the bridge options from the daemon', async () => {
    const spec = defaultBridgeSpec({
      bridge: 'tsbr0',
      bip: '10.199.7.1/24',
      fixedCidr: '10.199.7.64/26',
      icc: false,
      ip: '127.0.0.1',
    });
    const rec = await store.ensureDefaultBridge(spec);
    expect(rec?.IPAM.Config).toEqual([
      { Subnet: '10.199.7.0/24', IPRange: '10.199.7.64/26', Gateway: '10.199.7.1' },
    ]);
    expect(rec?.Options).toEqual({
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'false',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '127.0.0.1',
      'com.docker.network.bridge.name': 'tsbr0',
      'com.docker.network.driver.mtu': '1500',
    });
    expect((await store.allocate('bridge', 'c1')).IPAddress).toBe('10.199.7.64');
    expect(() => defaultBridgeSpec({ bridge: 'x', bip: '10.0.0.1', icc: true, ip: '0.0.0.0' })).toThrow(
      'invalid --bip 10.0.0.1',
    );
  });

  it('sweeps the addresses of endpoints that went away', async () => {
    await store.create(cliRequest('n1'));
    await store.allocate('n1', 'gone');
    await store.allocate('n1', 'alive');
    await store.allocate('bridge', 'gone');
    const released = await store.sweepEndpoints((key) => key === 'alive');
    expect(released.map((r) => r.key)).toEqual(['gone', 'gone']);
    expect((await store.allocate('n1', 'new')).IPAddress).toBe('172.18.0.2');
  });
});
