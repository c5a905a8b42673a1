import { describe, expect, it } from 'vitest';
import { EndpointNameTable, canonicalIp } from './names.js';

const sorted = (a: string[] | undefined) => [...(a ?? [])].sort();

function table(): EndpointNameTable {
  const t = new EndpointNameTable();
  t.setNetwork({ id: 'N1', name: 'n1' });
  t.setNetwork({ id: 'N2', name: 'n2' });
  t.setEndpoint({
    containerId: 'aaid',
    containerName: 'aa',
    networkId: 'N1',
    ipv4: '172.18.0.2',
    aliases: ['alpha', '0565970e9c0c'],
  });
  t.setEndpoint({
    containerId: 'bbid',
    containerName: 'bb',
    networkId: 'N1',
    ipv4: '172.18.0.3',
    links: [{ target: 'aa', alias: 'linked' }],
  });
  t.setEndpoint({
    containerId: 'w1',
    containerName: 'proj_web_1',
    networkId: 'N1',
    ipv4: '172.18.0.4',
    aliases: ['web'],
  });
  t.setEndpoint({
    containerId: 'w2',
    containerName: 'proj_web_2',
    networkId: 'N1',
    ipv4: '172.18.0.5',
    aliases: ['web'],
  });
  t.setEndpoint({ containerId: 'ccid', containerName: 'cc', networkId: 'N2', ipv4: '172.19.0.2' });
  t.setEndpoint({ containerId: 'ddid', containerName: 'dd', networkId: 'N1', ipv4: '172.18.0.6' });
  t.setEndpoint({ containerId: 'ddid', containerName: 'dd', networkId: 'N2', ipv4: '172.19.0.3' });
  return t;
}

describe('EndpointNameTable', () => {
  it('answers container names, aliases and the short ID, case-insensitively, with a trailing dot', () => {
    const t = table();
    expect(t.resolve('bbid', 'aa')).toEqual({ v4: ['172.18.0.2'], v6: [] });
    expect(t.resolve('bbid', 'AA.')?.v4).toEqual(['172.18.0.2']);
    expect(t.resolve('bbid', 'Alpha')?.v4).toEqual(['172.18.0.2']);
    expect(t.resolve('bbid', '0565970e9c0c')?.v4).toEqual(['172.18.0.2']);
    expect(t.resolve('aaid', 'aa')?.v4).toEqual(['172.18.0.2']); // itself
  });

  it('gives every address of a scaled compose service', () => {
    expect(sorted(table().resolve('bbid', 'web')?.v4)).toEqual(['172.18.0.4', '172.18.0.5']);
  });

  it('answers only over the networks of the asking container', () => {
    const t = table();
    expect(t.resolve('bbid', 'cc')).toBeUndefined();
    expect(t.resolve('ccid', 'aa')).toBeUndefined();
    expect(t.resolve('ddid', 'cc')?.v4).toEqual(['172.19.0.2']);
    expect(t.resolve('nobody', 'aa')).toBeUndefined();
  });

  it('answers name.network only in that network', () => {
    const t = table();
    expect(t.resolve('bbid', 'aa.n1')?.v4).toEqual(['172.18.0.2']);
    expect(t.resolve('bbid', 'alpha.N1')?.v4).toEqual(['172.18.0.2']);
    expect(t.resolve('bbid', 'aa.n2')).toBeUndefined();
    expect(t.resolve('ddid', 'dd.n2')?.v4).toEqual(['172.19.0.3']);
    expect(t.resolve('ddid', 'dd.n1')?.v4).toEqual(['172.18.0.6']);
    expect(t.resolve('bbid', 'aa.example.com')).toBeUndefined();
  });

  it('tries a.b.c everywhere, then a.b in network c, then a in network b.c', () => {
    const t = new EndpointNameTable();
    t.setNetwork({ id: 'M', name: 'my.net' });
    t.setNetwork({ id: 'C', name: 'c' });
    t.setEndpoint({ containerId: 'q', containerName: 'q', networkId: 'M', ipv4: '10.199.0.9' });
    t.setEndpoint({ containerId: 'q', containerName: 'q', networkId: 'C', ipv4: '10.199.1.9' });
    t.setEndpoint({ containerId: 'x', containerName: 'x', networkId: 'M', ipv4: '10.199.0.2' });
    t.setEndpoint({ containerId: 'ab', containerName: 'a.b', networkId: 'C', ipv4: '10.199.1.2' });
    t.setEndpoint({ containerId: 'a', containerName: 'a', networkId: 'C', ipv4: '10.199.1.3' });
    t.setEndpoint({ containerId: 'abc', containerName: 'a.b.c', networkId: 'M', ipv4: '10.199.0.3' });
    expect(t.resolve('q', 'x.my.net')?.v4).toEqual(['10.199.0.2']); // "x" in network "my.net"
    expect(t.resolve('q', 'a.b.c')?.v4).toEqual(['10.199.0.3']); // the full name wins
    t.deleteEndpoint('abc', 'M');
    expect(t.resolve('q', 'a.b.c')?.v4).toEqual(['10.199.1.2']); // then "a.b" in network "c"
    t.deleteEndpoint('ab', 'C');
    expect(t.resolve('q', 'a.b.c')).toBeUndefined(); // "a" in network "b.c": no such network
    expect(t.resolve('q', 'a.c')?.v4).toEqual(['10.199.1.3']);
  });

  it("resolves the asker's links on a user network, and only for the asker", () => {
    const t = table();
    expect(t.resolve('bbid', 'linked')?.v4).toEqual(['172.18.0.2']);
    expect(t.resolve('bbid', 'linked.n1')?.v4).toEqual(['172.18.0.2']);
    expect(t.resolve('ddid', 'linked')).toBeUndefined();
    // A link alias is looked up before names: it shadows a container of that name.
    t.setEndpoint({
      containerId: 'bbid',
      containerName: 'bb',
      networkId: 'N1',
      ipv4: '172.18.0.3',
      links: [{ target: 'aa', alias: 'dd' }],
    });
    expect(t.resolve('bbid', 'dd')?.v4).toEqual(['172.18.0.2']);
    expect(t.resolve('aaid', 'dd')?.v4).toEqual(['172.18.0.6']);
  });

  it('takes the first network in Docker order: dual-stack, then by name; internal ones last', () => {
    const t = new EndpointNameTable();
    t.setNetwork({ id: '1', name: 'zz' });
    t.setNetwork({ id: '2', name: 'aa', internal: true });
    t.setNetwork({ id: '3', name: 'mm' });
    for (const [net, last] of [
      ['1', 1],
      ['2', 2],
      ['3', 3],
    ] as const) {
      t.setEndpoint({ containerId: 'me', containerName: 'me', networkId: net, ipv4: `10.199.${last}.1` });
      t.setEndpoint({
        containerId: `s${net}`,
        containerName: `s${net}`,
        networkId: net,
        ipv4: `10.199.${last}.2`,
        aliases: ['svc'],
      });
    }
    expect(t.resolve('me', 'svc')?.v4).toEqual(['10.199.3.2']); // mm < zz, aa is internal
    t.setNetwork({ id: '1', name: 'zz', ipv6: true });
    expect(t.resolve('me', 'svc')?.v4).toEqual(['10.199.1.2']);
    expect(t.resolve('me', 'svc.aa')?.v4).toEqual(['10.199.2.2']);
  });

  it('knows a name in one family only: the other family is empty, not unknown', () => {
    const t = table();
    t.setNetwork({ id: 'N6', name: 'n6', ipv6: true });
    t.setEndpoint({
      containerId: 'bbid',
      containerName: 'bb',
      networkId: 'N6',
      ipv4: '10.199.6.3',
      ipv6: 'fd00:199::3',
    });
    t.setEndpoint({ containerId: 'v6', containerName: 'six', networkId: 'N6', ipv6: 'fd00:199:0::6' });
    expect(t.resolve('bbid', 'aa')).toEqual({ v4: ['172.18.0.2'], v6: [] });
    expect(t.resolve('bbid', 'six')).toEqual({ v4: [], v6: ['fd00:199:0::6'] });
    expect(t.resolve('bbid', 'bb')).toEqual({ v4: ['10.199.6.3'], v6: ['fd00:199::3'] });
  });

  it('answers reverse lookups with name.network over the asker networks only', () => {
    const t = table();
    expect(t.reverse('bbid', '172.18.0.2')).toBe('aa.n1');
    expect(t.reverse('bbid', '172.19.0.2')).toBeUndefined();
    expect(t.reverse('ddid', '172.19.0.2')).toBe('cc.n2');
    t.setEndpoint({ containerId: 'v6', containerName: 'six', networkId: 'N1', ipv6: 'fd00:199::6' });
    expect(t.reverse('bbid', 'fd00:0199:0000:0000:0000:0000:0000:0006')).toBe('six.n1');
    expect(t.reverse('bbid', '172.18.0.99')).toBeUndefined();
  });

  it('forgets endpoints, containers and networks', () => {
    const t = table();
    t.deleteEndpoint('w1', 'N1');
    expect(t.resolve('bbid', 'web')?.v4).toEqual(['172.18.0.5']);
    t.deleteContainer('ddid');
    expect(t.resolve('bbid', 'dd')).toBeUndefined();
    expect(t.resolve('ddid', 'aa')).toBeUndefined();
    t.deleteNetwork('N1');
    expect(t.resolve('bbid', 'aa')).toBeUndefined();
    expect(t.reverse('bbid', '172.18.0.2')).toBeUndefined();
  });

  it('canonicalizes IPv6 text', () => {
    expect(canonicalIp('FD00:0:0::1')).toBe('fd00::1');
    expect(canonicalIp('172.18.0.2')).toBe('172.18.0.2');
  });
});
