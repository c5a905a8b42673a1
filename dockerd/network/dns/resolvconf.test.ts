import { describe, expect, it } from 'vitest';
import { InvalidParameter } from '../../errdefs/index.js';
import { embeddedResolvConf, parseResolvConf } from './resolvconf.js';
import { restoreInput } from './rules.js';

describe('embeddedResolvConf', () => {
  it('writes what dockerd 20.10 writes for a plain host file', () => {
    const r = embeddedResolvConf({ host: 'nameserver 10.199.0.53\n' });
    expect(r.content).toBe('nameserver 127.0.0.11\noptions ndots:0\n');
    expect(r.upstreams).toEqual([{ ip: '10.199.0.53', hostLoopback: false }]);
    expect(r.ndotsSet).toBe(false);
  });

  it('keeps search, options and IPv6 nameservers; host loopback servers are asked from the host', () => {
    const host = [
      '# comment',
      'nameserver 127.0.0.53 ; systemd',
      'nameserver 10.199.0.1',
      'nameserver fd00:199::1',
      'nameserver ::1',
      'search old.example',
      'search corp.example lab.example',
      'options edns0',
      'options rotate',
      'domain ignored.example',
    ].join('\n');
    const r = embeddedResolvConf({ host });
    expect(r.content).toBe(
      'search corp.example lab.example\nnameserver 127.0.0.11\nnameserver fd00:199::1\noptions edns0 rotate ndots:0\n',
    );
    expect(r.upstreams).toEqual([
      { ip: '127.0.0.53', hostLoopback: true },
      { ip: '10.199.0.1', hostLoopback: false },
    ]);
  });

  it("keeps the user's ndots and says so", () => {
    const r = embeddedResolvConf({ host: 'nameserver 10.199.0.1\noptions ndots:2 timeout:1\n' });
    expect(r.content).toBe('nameserver 127.0.0.11\noptions ndots:2 timeout:1\n');
    expect(r.ndotsSet).toBe(true);
    expect(() => embeddedResolvConf({ host: '', dnsOptions: ['ndots'] })).toThrow(InvalidParameter);
    expect(() => embeddedResolvConf({ host: '', dnsOptions: ['ndots:x'] })).toThrow(
      'invalid number for ndots option: x',
    );
    expect(() => embeddedResolvConf({ host: '', dnsOptions: ['ndots:-1'] })).toThrow(
      'invalid number for ndots option: -1',
    );
  });

  it('lets --dns, --dns-search and --dns-opt replace the host lines; --dns loopback is the container own', () => {
    const r = embeddedResolvConf({
      host: 'nameserver 10.199.0.1\nsearch host.example\noptions edns0\n',
      dns: ['127.0.0.1', '10.199.0.2', '10.199.0.3', '10.199.0.4', 'fd00:199::2'],
      dnsSearch: ['.'],
      dnsOptions: ['ndots:1'],
    });
    expect(r.content).toBe('nameserver 127.0.0.11\nnameserver fd00:199::2\noptions ndots:1\n');
    expect(r.upstreams.map((u) => [u.ip, u.hostLoopback])).toEqual([
      ['127.0.0.1', false],
      ['10.199.0.2', false],
      ['10.199.0.3', false],
      ['10.199.0.4', false],
    ]);
    expect(embeddedResolvConf({ host: 'nameserver 10.199.0.1\n', dnsSearch: ['a.example'] }).content).toBe(
      'search a.example\nnameserver 127.0.0.11\noptions ndots:0\n',
    );
  });

  it('parses only valid nameserver lines', () => {
    expect(
      parseResolvConf('nameserver\nnameserver foo\nnameserver 1.2.3.4 5.6.7.8\nnameserver fe80::1%eth0\n'),
    ).toEqual({
      nameservers: ['fe80::1%eth0'],
      search: [],
      options: [],
    });
  });
});

describe('restoreInput', () => {
  it("is dockerd's six rules, in one nat batch", () => {
    expect(restoreInput(34994, 41989)).toBe(
      [
        '*nat',
        ':DOCKER_OUTPUT - [0:0]',
        ':DOCKER_POSTROUTING - [0:0]',
        '-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT',
        '-A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING',
        '-A DOCKER_OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.11:41989',
        '-A DOCKER_OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination 127.0.0.11:34994',
        '-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p tcp -m tcp --sport 41989 -j SNAT --to-source :53',
        '-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport 34994 -j SNAT --to-source :53',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('leaves out the jumps a namespace already has', () => {
    const existing =
      '*nat\n-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT\n-A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING\n';
    expect(restoreInput(1, 2, existing)).not.toContain('-A OUTPUT');
    expect(restoreInput(1, 2, existing)).not.toContain('-A POSTROUTING');
    expect(restoreInput(1, 2, existing)).toContain('--to-destination 127.0.0.11:1');
  });
});
