import { describe, expect, it } from 'vitest';
import { intToIp, ipToInt, macFromIp, networkOf, overlaps, parseCidr } from './cidr.js';
import { vethName } from './endpoint.js';

describe('IPv4 helpers', () => {
  it("gives Docker's MAC for an address", () => {
    expect(macFromIp('172.17.0.2')).toBe('02:42:ac:11:00:02');
    expect(macFromIp('172.18.0.2')).toBe('02:42:ac:12:00:02');
  });
  it('networks and overlaps', () => {
    expect(networkOf('172.17.0.1', 16)).toBe('172.17.0.0/16');
    expect(networkOf('10.199.3.77', 24)).toBe('10.199.3.0/24');
    expect(overlaps(parseCidr('172.17.0.0/16'), parseCidr('172.17.5.0/24'))).toBe(true);
    expect(overlaps(parseCidr('172.17.0.0/16'), parseCidr('172.18.0.0/16'))).toBe(false);
    expect(intToIp(ipToInt('255.1.2.3'))).toBe('255.1.2.3');
    expect(() => ipToInt('1.2.3.256')).toThrow(/invalid IPv4/);
  });
  it('host veth names look like dockerd’s and are stable', () => {
    expect(vethName('abc', 'bridge')).toMatch(/^veth[0-9a-f]{7}$/);
    expect(vethName('abc', 'bridge')).toBe(vethName('abc', 'bridge'));
    expect(vethName('abc', 'n1')).not.toBe(vethName('abc', 'bridge'));
  });
});
