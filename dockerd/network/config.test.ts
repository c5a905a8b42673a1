import { describe, expect, it } from 'vitest';
import { DEFAULT_NETWORK_CONFIG, networkConfig } from './config.js';

describe('networkConfig', () => {
  it("has dockerd's defaults", () => {
    expect(networkConfig({}, {})).toEqual(DEFAULT_NETWORK_CONFIG);
    expect(DEFAULT_NETWORK_CONFIG).toMatchObject({
      bridge: 'docker0',
      iptables: true,
      icc: true,
      ip: '0.0.0.0',
    });
  });

  it('takes daemon.json, and flags over it', () => {
    const file = {
      bridge: 'br0',
      bip: '10.199.7.1/24',
      iptables: false,
      dns: ['127.0.0.1'],
      'dns-opts': ['ndots:2'],
      'default-address-pools': [{ base: '10.199.0.0/16', size: 24 }],
    };
    const c = networkConfig({ bridge: 'br1', icc: 'false', 'iptables-chain-prefix': 'TSX' }, file);
    expect(c).toMatchObject({
      bridge: 'br1',
      bip: '10.199.7.1/24',
      iptables: false,
      icc: false,
      dns: ['127.0.0.1'],
      dnsOptions: ['ndots:2'],
      chainPrefix: 'TSX',
      defaultAddressPools: [{ base: '10.199.0.0/16', size: 24 }],
    });
  });

  it('refuses what it cannot apply, naming the option', () => {
    expect(() => networkConfig({ iptables: 'maybe' }, {})).toThrow('--iptables');
    expect(() => networkConfig({ bip: '172.17.0.1' }, {})).toThrow('--bip');
    expect(() => networkConfig({ 'iptables-chain-prefix': 'bad-prefix' }, {})).toThrow('chain prefix');
    expect(() => networkConfig({}, { 'default-address-pools': [{ base: 'x', size: 99 }] })).toThrow(
      'default-address-pools',
    );
  });
});
