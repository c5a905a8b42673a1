import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kindOf } from '../../errdefs/index.js';
import { networkContainerView, networkInspect } from './inspect.js';
import { parseCreateRequest } from './request.js';
import type { NetworkStore } from './store.js';
import { cliRequest, ipam, openStore, tempDir } from './test-helpers.js';

const testdata = (f: string): unknown =>
  JSON.parse(readFileSync(new URL(`./testdata/${f}`, import.meta.url), 'utf8'));

/** An inspect result with the run-specific values blanked, as the captures are compared. */
function shape(v: unknown): Record<string, unknown> {
  const o = { ...(v as Record<string, unknown>) };
  o.Id = '<id>';
  o.Created = '<time>';
  o.Containers = {};
  return o;
}

async function rejection(p: Promise<unknown>): Promise<{ kind: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { kind: kindOf(err), message: (err as Error).message };
  }
  throw new Error('expected a rejection');
}

let store: NetworkStore;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  store = await openStore(t.dir);
});
afterEach(() => cleanup());

describe('create: the three request shapes of the reference, echoed exactly', () => {
  it('CLI default (`docker network create n1`) inspects as network-inspect-n1.json', async () => {
    const { record, warning } = await store.create(cliRequest('n1'));
    expect(warning).toBe('');
    expect(record.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(record.Created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    expect(record.bridgeName).toBe(`br-${record.Id.slice(0, 12)}`);
    const got = networkInspect(record);
    expect(shape(got)).toEqual(shape(testdata('network-inspect-n1.json')));
    // Field order too: the JSON text is the capture's, ids and times aside.
    expect(JSON.stringify(shape(got))).toBe(JSON.stringify(shape(testdata('network-inspect-n1.json'))));
  });

  it('with a container, inspects byte for byte as the capture (ids and times aside)', async () => {
    const captured = testdata('network-inspect-n1.json') as Record<string, unknown>;
    const [ctrId, view] = Object.entries(captured.Containers as Record<string, { EndpointID: string }>)[0];
    const { record } = await store.create(cliRequest('n1'));
    await store.allocate('n1', ctrId);
    const n1 = store.find('n1');
    const got = networkInspect(n1, { [ctrId]: networkContainerView(n1, ctrId, 'aa', view.EndpointID) });
    expect(JSON.stringify({ ...got, Id: '', Created: '' })).toBe(
      JSON.stringify({ ...captured, Id: '', Created: '' }),
    );
    expect(record.endpoints).toEqual({}); // records are replaced, never changed in place
  });

  it('CLI with --subnet --gateway --ip-range --label -o --internal', async () => {
    const req = cliRequest('n2', {
      ...ipam({ Subnet: '10.123.0.0/24', IPRange: '10.123.0.128/25', Gateway: '10.123.0.254' }),
      Internal: true,
      Options: { 'com.docker.network.bridge.name': 'brtest' },
      Labels: { a: 'b' },
    });
    const { record } = await store.create(req);
    expect(record.bridgeName).toBe('brtest');
    const captured =
      '{"Name":"n2","Id":"<id>","Created":"<time>","Scope":"local","Driver":"bridge","EnableIPv6":false,"IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.123.0.0/24","IPRange":"10.123.0.128/25","Gateway":"10.123.0.254"}]},"Internal":true,"Attachable":false,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{},"Options":{"com.docker.network.bridge.name":"brtest"},"Labels":{"a":"b"}}';
    expect(JSON.stringify(shape(networkInspect(record)))).toBe(captured);
  });

  it('compose (no Driver, no IPAM: IPAM.Options null) takes the next pool', async () => {
    await store.create(cliRequest('n1'));
    const req = parseCreateRequest(
      JSON.parse(
        '{"Name": "rproj_default", "CheckDuplicate": true, "Labels": {"com.docker.compose.project": "rproj", "com.docker.compose.network": "default", "com.docker.compose.version": "1.29.2"}, "Attachable": true}',
      ),
    );
    const { record } = await store.create(req);
    const expected = shape((testdata('network-inspect-compose-default.json') as unknown[])[0]);
    const got = shape(networkInspect(record));
    // Byte for byte: maps come out with their keys sorted, as dockerd (Go) writes them.
    expect(JSON.stringify(got)).toBe(JSON.stringify(expected));
  });

  it('built-in networks inspect as dockerd shows them', async () => {
    const initial = testdata('networks-list-initial.json') as unknown[];
    expect(store.all().map((n) => shape(networkInspect(n)))).toEqual(initial.map(shape));
  });

  it('keeps an IPv6 subnet as given and allocates the IPv4 one', async () => {
    const { record } = await store.create(
      cliRequest('v6', { EnableIPv6: true, ...ipam({ Subnet: 'fd00:dead:beef::/64' }) }),
    );
    expect(record.IPAM.Config).toEqual([
      { Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' },
      { Subnet: 'fd00:dead:beef::/64' },
    ]);
    expect(record.ipv6).toMatchObject({ subnet: 'fd00:dead:beef::/64', gateway: 'fd00:dead:beef::1' });
  });
});

describe("create: dockerd's errors and texts", () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['bridge', {}, 'Forbidden', 'operation is not permitted on predefined bridge network '],
    ['default', {}, 'Forbidden', 'operation is not permitted on predefined default network '],
    ['x', { Driver: 'host' }, 'Forbidden', 'only one instance of "host" network is allowed'],
    ['x', { Driver: 'null' }, 'Forbidden', 'only one instance of "null" network is allowed'],
    [
      'x',
      ipam({ Subnet: '10.0.0.0/33' }),
      'InvalidParameter',
      'Invalid subnet 10.0.0.0/33 : invalid CIDR address: 10.0.0.0/33',
    ],
    ['x', ipam({ Gateway: '10.0.0.1' }), 'InvalidParameter', 'Invalid subnet  : invalid CIDR address: '],
    [
      'x',
      ipam({ Subnet: '172.17.5.0/24' }),
      'Forbidden',
      'Pool overlaps with other one on this address space',
    ],
    [
      'x',
      ipam({ Subnet: '10.199.0.0/24', Gateway: 'nope' }),
      'InvalidParameter',
      'invalid gateway address nope in Ipam configuration',
    ],
    [
      'x',
      ipam({ Subnet: '10.199.0.0/24', Gateway: '10.124.0.1' }),
      'System',
      'failed to allocate gateway (10.124.0.1): Requested address is out of range',
    ],
    [
      'x',
      ipam({ Subnet: '10.199.1.0/24', AuxiliaryAddresses: { a: '10.9.0.1' } }),
      'Forbidden',
      'auxiliary address: (a:10.9.0.1) must belong to the master pool: 10.199.1.0/24',
    ],
    [
      'x',
      ipam({ Subnet: '10.199.1.0/24', Gateway: '10.199.1.1', AuxiliaryAddresses: { a: '10.199.1.1' } }),
      'System',
      'failed to allocate secondary ip address (a:10.199.1.1): Address already in use',
    ],
    [
      'x',
      ipam({ Subnet: '10.199.1.0/24', IPRange: 'zz' }),
      'System',
      'failed to parse pool request for address space "LocalDefault" pool "10.199.1.0/24" subpool "zz": Invalid Address SubPool',
    ],
    [
      'x',
      ipam({ Subnet: '10.199.1.0/24' }, { Subnet: '10.199.2.0/24' }),
      'Forbidden',
      "bridge driver doesn't support multiple subnets",
    ],
    [
      'x',
      { EnableIPv6: true },
      'NotFound',
      'could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network',
    ],
    [
      'x',
      { Options: { 'com.docker.network.driver.mtu': 'abc' } },
      'InvalidParameter',
      'failed to parse com.docker.network.driver.mtu value: abc (strconv.Atoi: parsing "abc": invalid syntax)',
    ],
    [
      'x',
      { Options: { 'com.docker.network.bridge.enable_icc': 'yes' } },
      'InvalidParameter',
      'failed to parse com.docker.network.bridge.enable_icc value: yes (strconv.ParseBool: parsing "yes": invalid syntax)',
    ],
    ['  ', {}, 'InvalidParameter', 'invalid name:   '],
  ];
  for (const [name, extra, kind, message] of cases) {
    it(`${name} ${JSON.stringify(extra)} → ${message}`, async () => {
      expect(await rejection(store.create(cliRequest(name, extra)))).toEqual({ kind, message });
    });
  }

  it('refuses a duplicate name with CheckDuplicate, warns without it', async () => {
    const { record } = await store.create(cliRequest('n1'));
    expect(await rejection(store.create(cliRequest('n1')))).toEqual({
      kind: 'Conflict',
      message: 'network with name n1 already exists',
    });
    const dup = await store.create(cliRequest('n1', { CheckDuplicate: false }));
    expect(dup.warning).toBe(`Network with name n1 (id : ${record.Id}) already exists`);
    expect(() => store.find('n1')).toThrow('network n1 is ambiguous (2 matches found on name)');
  });

  it('refuses drivers other than bridge clearly', async () => {
    const r = await rejection(store.create(cliRequest('x', { Driver: 'macvlan' })));
    expect(r.kind).toBe('InvalidParameter');
    expect(r.message).toContain('could not find plugin macvlan in v1 plugin registry: plugin not found');
    const i = await rejection(store.create(cliRequest('x', { IPAM: { Driver: 'infoblox' } })));
    expect(i.kind).toBe('InvalidParameter');
  });

  it('refuses a bridge name another network has', async () => {
    const bridge = store.find('bridge');
    const r = await rejection(
      store.create(cliRequest('x', { Options: { 'com.docker.network.bridge.name': 'docker0' } })),
    );
    expect(r.kind).toBe('Forbidden');
    expect(r.message).toMatch(
      new RegExp(
        `^cannot create network [0-9a-f]{64} \\(docker0\\): conflicts with network ${bridge.Id} \\(docker0\\): networks have same bridge name$`,
      ),
    );
  });

  it("reads the body with Go's decoding rules", () => {
    expect(
      parseCreateRequest({ name: 'n', checkduplicate: true, ipam: { config: [{ subnet: '10.1.0.0/16' }] } }),
    ).toEqual({
      Name: 'n',
      CheckDuplicate: true,
      IPAM: { Config: [{ Subnet: '10.1.0.0/16' }] },
    });
    expect(() => parseCreateRequest({ Name: 'n', Internal: 'yes' })).toThrow(
      'json: cannot unmarshal string into Go struct field NetworkCreateRequest.Internal of type bool',
    );
    expect(() => parseCreateRequest({ Name: 'n', Labels: { a: 1 } })).toThrow(
      'json: cannot unmarshal number into Go struct field NetworkCreateRequest.Labels of type string',
    );
  });
});

describe('lookup and remove', () => {
  it('finds by full id, name and unique id prefix', async () => {
    const { record } = await store.create(cliRequest('n1'));
    expect(store.find(record.Id).Name).toBe('n1');
    expect(store.find('n1').Id).toBe(record.Id);
    expect(store.find(record.Id.slice(0, 12)).Name).toBe('n1');
    expect(() => store.find('nope')).toThrow('network nope not found');
    expect(
      kindOf(
        (() => {
          try {
            store.find('nope');
          } catch (e) {
            return e;
          }
        })(),
      ),
    ).toBe('NotFound');
  });

  it('refuses to remove built-in networks and networks with endpoints', async () => {
    expect(await rejection(store.remove('bridge'))).toEqual({
      kind: 'Forbidden',
      message: 'bridge is a pre-defined network and cannot be removed',
    });
    const { record } = await store.create(cliRequest('n1'));
    await store.allocate('n1', 'c1');
    expect(await rejection(store.remove('n1'))).toEqual({
      kind: 'Forbidden',
      message: `error while removing network: network n1 id ${record.Id} has active endpoints`,
    });
    await store.release('n1', 'c1');
    expect((await store.remove(record.Id.slice(0, 5))).Id).toBe(record.Id);
    expect(() => store.find('n1')).toThrow('network n1 not found');
  });
});
