import { describe, expect, it } from 'vitest';
import { cidrsOverlap, formatCidr, parseCidr, parseCidrWithAddress, type Cidr } from './cidr.js';
import { canonicalIP, formatIP, macFromIPv4, parseIP } from './ip.js';
import { nextAddress, reservedAddresses, type SubnetState } from './addresses.js';
import { DOCKER_DEFAULT_POOLS, PoolPicker } from './pools.js';
import { parseProcIPv6Route, parseProcRoute, routeSubnets } from './routes.js';

const cidr = (s: string): Cidr => parseCidr(s) as Cidr;
const list = (p: PoolPicker) => [...p.all()].map(formatCidr);

describe('addresses', () => {
  it('parses and prints IPv4 and IPv6 as Go does', () => {
    expect(canonicalIP('172.18.0.2')).toBe('172.18.0.2');
    expect(parseIP('1.2.3')).toBeNull();
    expect(parseIP('01.2.3.4')).toBeNull();
    expect(parseIP('256.0.0.1')).toBeNull();
    expect(canonicalIP('FD00:0:0:0:0:0:0:1')).toBe('fd00::1');
    expect(canonicalIP('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIP('::')).toBe('::');
    expect(canonicalIP('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIP('2001:db8::10.1.2.3')).toBe('2001:db8::a01:203');
    expect(parseIP('1::2::3')).toBeNull();
    expect(parseIP('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(formatIP({ family: 6, value: 1n })).toBe('::1');
  });

  it('parses CIDRs like net.ParseCIDR (host bits allowed, cleared in the network)', () => {
    expect(formatCidr(cidr('10.5.0.7/16'))).toBe('10.5.0.0/16');
    expect(parseCidrWithAddress('10.5.0.7/16')?.address.value).toBe(parseIP('10.5.0.7')?.value);
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('10.0.0.0')).toBeNull();
    expect(parseCidr('fd00:1::/64')?.family).toBe(6);
    expect(formatCidr(cidr('FD00:1::5/64'))).toBe('fd00:1::/64');
    expect(cidrsOverlap(cidr('10.0.0.0/8'), cidr('10.9.0.0/16'))).toBe(true);
    expect(cidrsOverlap(cidr('10.9.0.0/16'), cidr('10.10.0.0/16'))).toBe(false);
  });

  it("gives Docker's MAC for an IPv4 address", () => {
    expect(macFromIPv4('172.17.0.2')).toBe('02:42:ac:11:00:02');
    expect(macFromIPv4('10.123.0.200')).toBe('02:42:0a:7b:00:c8');
  });

  it('takes the lowest free address, skipping network, broadcast, gateway and aux addresses', () => {
    const s: SubnetState = {
      subnet: '10.199.0.0/29',
      gateway: '10.199.0.1',
      aux: { a: '10.199.0.3' },
      user: true,
    };
    const used = reservedAddresses(s);
    expect(nextAddress(s, used)).toBe('10.199.0.2');
    used.add(parseIP('10.199.0.2')!.value);
    expect(nextAddress(s, used)).toBe('10.199.0.4');
    for (const a of ['10.199.0.4', '10.199.0.5', '10.199.0.6']) used.add(parseIP(a)!.value);
    expect(nextAddress(s, used)).toBeNull(); // .7 is the broadcast address
  });

  it('takes addresses from the ip-range, where its first address is usable', () => {
    const s: SubnetState = {
      subnet: '10.199.0.0/16',
      gateway: '10.199.0.1',
      ipRange: '10.199.3.0/24',
      aux: {},
      user: true,
    };
    expect(nextAddress(s, reservedAddresses(s))).toBe('10.199.3.0');
  });
});

describe('default pools', () => {
  it("are libnetwork's 31 local pools, in order", () => {
    const all = list(new PoolPicker());
    expect(all).toHaveLength(31);
    expect(all.slice(0, 7)).toEqual([
      '172.17.0.0/16',
      '172.18.0.0/16',
      '172.19.0.0/16',
      '172.20.0.0/16',
      '172.21.0.0/16',
      '172.22.0.0/16',
      '172.23.0.0/16',
    ]);
    expect(all[14]).toBe('172.31.0.0/16');
    expect(all[15]).toBe('192.168.0.0/20');
    expect(all[30]).toBe('192.168.240.0/20');
    expect(DOCKER_DEFAULT_POOLS[0]).toEqual({ base: '172.17.0.0/16', size: 16 });
  });

  it('are replaced by default-address-pools', () => {
    const p = new PoolPicker([{ base: '10.10.0.0/16', size: 24 }]);
    const all = list(p);
    expect(all).toHaveLength(256);
    expect(all[0]).toBe('10.10.0.0/24');
    expect(formatCidr(p.next(4, [], [])!)).toBe('10.10.0.0/24');
    expect(() => new PoolPicker([{ base: '10.10.0.0/16', size: 8 }])).toThrow('invalid pools size: 8');
    expect(() => new PoolPicker([{ base: 'x', size: 24 }])).toThrow(
      'invalid base pool "x": invalid CIDR address: x',
    );
  });

  it('may hold IPv6 bases', () => {
    const p = new PoolPicker([
      { base: '10.199.0.0/16', size: 24 },
      { base: 'fd00:199::/48', size: 64 },
    ]);
    expect(formatCidr(p.next(6, [], [cidr('fd00:199::/64')])!)).toBe('fd00:199:0:1::/64');
    expect(formatCidr(p.next(4, [], [])!)).toBe('10.199.0.0/24');
  });

  it('skip pools that overlap a host route or a taken subnet', () => {
    const p = new PoolPicker();
    const routes = [cidr('172.17.0.0/16')];
    expect(formatCidr(p.first(4, [cidr('172.18.5.0/24')], routes)!)).toBe('172.19.0.0/16');
    // A route covering all of 172.16/12 leaves only 192.168.
    expect(formatCidr(new PoolPicker().next(4, [], [cidr('172.16.0.0/12')])!)).toBe('192.168.0.0/20');
    expect(new PoolPicker().next(6, [], [])).toBeNull();
  });

  it('hand out the lowest free pool, so a freed one is reused at once (as dockerd did here)', () => {
    const p = new PoolPicker([{ base: '10.199.0.0/22', size: 24 }]);
    const taken: Cidr[] = [];
    const take = () => {
      const c = p.next(4, taken, [])!;
      taken.push(c);
      return formatCidr(c);
    };
    expect(take()).toBe('10.199.0.0/24');
    expect(take()).toBe('10.199.1.0/24');
    taken.splice(0, 1); // the first network is removed
    expect(take()).toBe('10.199.0.0/24');
    expect(take()).toBe('10.199.2.0/24');
    expect(take()).toBe('10.199.3.0/24');
    expect(p.next(4, taken, [])).toBeNull();
  });
});

describe('host routes', () => {
  it('reads /proc/net/route and /proc/net/ipv6_route, leaving out default, local and multicast routes', () => {
    const v4 = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
    ].join('\n');
    expect(parseProcRoute(v4)).toEqual([
      { destination: '192.0.2.0/24', iface: 'eth0' },
      { destination: '172.17.0.0/16', iface: 'docker0' },
    ]);
    const v6 = [
      'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0',
      'fd000000000000000000000000000002 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000003 00000000 80200001     eth0',
      'ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000003 00000000 00000001     eth0',
    ].join('\n');
    expect(parseProcIPv6Route(v6)).toEqual([{ destination: 'fd00::/64', iface: 'eth0' }]);
    const subnets = routeSubnets(parseProcRoute(v4), ['docker0']).map(formatCidr);
    expect(subnets).toEqual(['192.0.2.0/24']);
  });
});
