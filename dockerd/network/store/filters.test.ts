import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatRFC3339Nano, nowNs } from '../../logs/format.js';
import { parseFilters } from '../../wire/filters.js';
import { parseGoDuration, prunableNetworks } from './filters.js';
import type { NetworkStore } from './store.js';
import { cliRequest, openStore, tempDir } from './test-helpers.js';
import type { NetworkRecord } from './types.js';

let store: NetworkStore;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  store = await openStore(t.dir);
  await store.create(cliRequest('frontend', { Labels: { tier: 'web', env: 'prod' } }));
  await store.create(cliRequest('backend', { Labels: { tier: 'db' } }));
  await store.create(cliRequest('scratch'));
  await store.allocate('backend', 'c1');
});
afterEach(() => cleanup());

const names = (filters: string) => store.list(parseFilters(filters)).map((n) => n.Name);

describe('list filters', () => {
  it('name (substring or regexp), id (prefix), driver, label', () => {
    expect(names('')).toEqual(['none', 'host', 'bridge', 'frontend', 'backend', 'scratch']);
    expect(names('{"name":{"end":true}}')).toEqual(['frontend', 'backend']);
    expect(names('{"name":["^b"]}')).toEqual(['bridge', 'backend']);
    const id = store.find('scratch').Id;
    expect(names(JSON.stringify({ id: [id.slice(0, 6)] }))).toEqual(['scratch']);
    expect(names('{"driver":["bridge"]}')).toEqual(['bridge', 'frontend', 'backend', 'scratch']);
    expect(names('{"driver":["null","host"]}')).toEqual(['none', 'host']);
    expect(names('{"label":["tier"]}')).toEqual(['frontend', 'backend']);
    expect(names('{"label":{"tier=web":true}}')).toEqual(['frontend']);
    expect(names('{"label":["tier","env=prod"]}')).toEqual(['frontend']);
    expect(names('{"scope":["local"]}')).toHaveLength(6);
  });

  it('type and dangling', () => {
    expect(names('{"type":["custom"]}')).toEqual(['frontend', 'backend', 'scratch']);
    expect(names('{"type":["builtin"]}')).toEqual(['none', 'host', 'bridge']);
    expect(names('{"dangling":["true"]}')).toEqual(['frontend', 'scratch']);
    expect(names('{"dangling":["0"]}')).toEqual(['none', 'host', 'bridge', 'backend']);
    // The caller may say which networks have endpoints.
    const byCaller = store.list(parseFilters('{"dangling":["1"]}'), (n) => n.Name === 'scratch');
    expect(byCaller.map((n) => n.Name)).toEqual(['frontend', 'backend']);
  });

  it("refuses bad keys and values with dockerd's texts", () => {
    expect(() => names('{"nope":["x"]}')).toThrow("invalid filter 'nope'");
    expect(() => names('{"type":["weird"]}')).toThrow("invalid filter: 'type'='weird'");
    expect(() => names('{"dangling":["maybe"]}')).toThrow(
      `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`,
    );
    expect(() => names('{"dangling":["true","false"]}')).toThrow(
      'got more than one value for filter key "dangling"',
    );
  });
});

describe('prune', () => {
  it('removes only custom networks without endpoints, by label and label!', async () => {
    const kept = await store.prune(parseFilters('{"label!":["env=prod"]}'));
    expect(kept.map((n) => n.Name)).toEqual(['scratch']);
    const rest = await store.prune(parseFilters('{"label":["tier"]}'));
    expect(rest.map((n) => n.Name)).toEqual(['frontend']);
    expect(await store.prune()).toEqual([]);
    expect(store.all().map((n) => n.Name)).toEqual(['none', 'host', 'bridge', 'backend']);
    await expect(store.prune(parseFilters('{"name":["x"]}'))).rejects.toThrow("invalid filter 'name'");
  });

  it('honours until as a duration or a timestamp', () => {
    const now = nowNs();
    const net = (name: string, agoSeconds: number) =>
      ({
        Id: name.padEnd(64, '0'),
        Name: name,
        Driver: 'bridge',
        Scope: 'local',
        Labels: {},
        Created: formatRFC3339Nano(now - BigInt(agoSeconds) * 1_000_000_000n),
      }) as Pick<NetworkRecord, 'Id' | 'Name' | 'Driver' | 'Scope' | 'Labels' | 'Created'>;
    const nets = [net('old', 7200), net('new', 60)];
    const pick = (f: string) => prunableNetworks(nets, parseFilters(f), () => false, now).map((n) => n.Name);
    expect(pick('{"until":["1h"]}')).toEqual(['old']);
    expect(pick('{"until":["30s"]}')).toEqual(['old', 'new']);
    const cut = Number((now - 3600n * 1_000_000_000n) / 1_000_000_000n);
    expect(pick(JSON.stringify({ until: [String(cut)] }))).toEqual(['old']);
    expect(pick(JSON.stringify({ until: [new Date(cut * 1000).toISOString()] }))).toEqual(['old']);
    expect(() => pick('{"until":["1h","2h"]}')).toThrow('more than one until filter specified');
    expect(parseGoDuration('1h30m')).toBe(5400e9);
    expect(parseGoDuration('1.5s')).toBe(1.5e9);
    expect(parseGoDuration('10')).toBeNull();
  });
});

describe('lookup', () => {
  it('reports an ambiguous id prefix', async () => {
    const { findNetwork } = await import('./lookup.js');
    const nets = [
      { Id: `abc1${'0'.repeat(60)}`, Name: 'one' },
      { Id: `abc2${'0'.repeat(60)}`, Name: 'two' },
    ];
    expect(findNetwork(nets, 'abc1').Name).toBe('one');
    expect(() => findNetwork(nets, 'abc')).toThrow(
      'network abc is ambiguous (2 matches found based on ID prefix)',
    );
    // A name wins over an id prefix.
    expect(findNetwork([...nets, { Id: 'f'.repeat(64), Name: 'abc' }], 'abc').Id).toBe('f'.repeat(64));
  });
});
