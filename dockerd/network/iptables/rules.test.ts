// Pure: the steps compiled against a snapshot must give exactly the chains dockerd 20.10 left in
// the captures of reference/docker-trace-net (userland-proxy mode, as captured), and the hairpin
// mode must differ exactly where libnetwork says it does.
import { readFileSync } from 'node:fs';
import { Firewall } from './firewall.js';
import { describe, expect, it } from 'vitest';
import {
  type PortRule,
  baseSteps,
  bridgeRemovalSteps,
  bridgeSteps,
  chainNames,
  portRemovalSteps,
  portSteps,
} from './rules.js';
import { type Snapshot, compile, parseSave, renderBatch } from './state.js';

// Copies of reference/docker-trace-net's iptables captures (the real dockerd 20.10 on this kernel).
const captures = new URL('./testdata', import.meta.url).pathname;
const capture = (name: string, prefix = 'DOCKER') =>
  parseSave(readFileSync(`${captures}/iptables-${name}.txt`, 'utf8').replace(/DOCKER/g, prefix));

const empty = () =>
  parseSave(
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' +
      '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n',
  );
const plain = (s: Snapshot) =>
  Object.fromEntries(
    [...s].map(([t, chains]) => [t, Object.fromEntries([...chains].sort(([a], [b]) => a.localeCompare(b)))]),
  );

const docker0 = { bridge: 'docker0', subnet: '172.17.0.0/16' };
const n1 = { bridge: 'br-df229c2f28c2', subnet: '172.18.0.0/16' };
const web1: PortRule[] = [
  {
    bridge: 'docker0',
    proto: 'tcp',
    hostIp: '127.0.0.1',
    hostPort: 18080,
    containerIp: '172.17.0.2',
    containerPort: 80,
  },
];
const web2: PortRule[] = [
  {
    bridge: n1.bridge,
    proto: 'tcp',
    hostIp: '0.0.0.0',
    hostPort: 32768,
    containerIp: '172.18.0.3',
    containerPort: 8080,
  },
  {
    bridge: n1.bridge,
    proto: 'tcp',
    hostIp: '0.0.0.0',
    hostPort: 18082,
    containerIp: '172.18.0.3',
    containerPort: 80,
  },
  {
    bridge: n1.bridge,
    proto: 'udp',
    hostIp: '127.0.0.1',
    hostPort: 18083,
    containerIp: '172.18.0.3',
    containerPort: 53,
  },
];

describe.each(['DOCKER', 'TSCX'])('rules under prefix %s, userland-proxy mode: the captures', (prefix) => {
  const mode = { names: chainNames(prefix), hairpin: false };
  it('walks start → -p → network n1 → web2 → removal exactly as dockerd did', () => {
    const s = empty();
    compile([...baseSteps(mode), ...bridgeSteps(mode, docker0)], s);
    expect(plain(s)).toEqual(plain(capture('after-start', prefix)));
    compile(portSteps(mode, web1), s);
    expect(plain(s)).toEqual(plain(capture('with-p', prefix)));
    compile(bridgeSteps(mode, n1), s);
    expect(plain(s)).toEqual(plain(capture('with-n1', prefix)));
    compile(portSteps(mode, web2), s);
    expect(plain(s)).toEqual(plain(capture('with-web2', prefix)));
    compile([...portRemovalSteps(mode, [...web1, ...web2]), ...bridgeRemovalSteps(mode, n1)], s);
    expect(plain(s)).toEqual(plain(capture('after-container-removal', prefix)));
  });

  it('ensuring again emits nothing', () => {
    const s = empty();
    compile([...bridgeSteps(mode, docker0), ...portSteps(mode, web1)], s);
    expect(renderBatch(compile([...bridgeSteps(mode, docker0), ...portSteps(mode, web1)], s))).toBe('');
  });
});

describe('hairpin mode (--userland-proxy=false)', () => {
  const mode = { names: chainNames('DOCKER'), hairpin: true };
  it('differs from the captures only where libnetwork says', () => {
    const s = empty();
    compile([...bridgeSteps(mode, docker0), ...portSteps(mode, web1)], s);
    const nat = s.get('nat');
    expect(nat?.get('OUTPUT')).toEqual(['-m addrtype --dst-type LOCAL -j DOCKER']);
    expect(nat?.get('POSTROUTING')).toEqual([
      '-o docker0 -m addrtype --src-type LOCAL -j MASQUERADE',
      '-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
      '-s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE',
    ]);
    expect(nat?.get('DOCKER')).toEqual([
      '-d 127.0.0.1/32 -p tcp -m tcp --dport 18080 -j DNAT --to-destination 172.17.0.2:80',
    ]);
    expect(s.get('filter')).toEqual(capture('with-p').get('filter'));
  });

  it('internal networks and icc=false', () => {
    const s = empty();
    compile(bridgeSteps(mode, docker0), s);
    compile(bridgeSteps(mode, { bridge: 'br-int', subnet: '10.199.5.0/24', internal: true, icc: false }), s);
    const f = s.get('filter');
    expect(f?.get('DOCKER-ISOLATION-STAGE-1')).toEqual([
      '-i br-int ! -o br-int -j DOCKER-ISOLATION-STAGE-2',
      '! -s 10.199.5.0/24 -o br-int -j DROP',
      '! -d 10.199.5.0/24 -i br-int -j DROP',
      '-i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2',
      '-j RETURN',
    ]);
    expect(f?.get('FORWARD')?.slice(0, 2)).toEqual(['-j DOCKER-USER', '-j DOCKER-ISOLATION-STAGE-1']);
    expect(f?.get('FORWARD')?.at(-1)).toBe('-i br-int -o br-int -j DROP');
    expect(
      s
        .get('nat')
        ?.get('POSTROUTING')
        ?.some((r) => r.includes('br-int')),
    ).toBe(false);
    compile(bridgeRemovalSteps(mode, { bridge: 'br-int', subnet: '10.199.5.0/24', internal: true }), s);
    const again = empty();
    compile(bridgeSteps(mode, docker0), again);
    expect(plain(s)).toEqual(plain(again));
  });
});

describe('--iptables=false', () => {
  it('makes every operation a no-op (no tool is run)', async () => {
    const fw = new Firewall({
      enabled: false,
      iptablesSave: '/nonexistent',
      iptablesRestore: '/nonexistent',
    });
    await fw.ensureBase();
    await fw.ensureBridge(docker0);
    await fw.publish(web1);
    await fw.unpublish(web1);
    await fw.removeBridge(docker0);
    await fw.sweep([], []);
    await fw.removeAll();
  });
});

describe('--ip-forward', () => {
  it('turns forwarding on only when it is off, and leaves an enabled host alone', async () => {
    const { mkdtempSync, writeFileSync, readFileSync: read, rmSync } = await import('node:fs');
    const { setupIpForwarding } = await import('./forwarding.js');
    const dir = mkdtempSync('/tmp/tsctr-fwd-');
    const f = `${dir}/ip_forward`;
    try {
      writeFileSync(f, '1\n');
      expect(await setupIpForwarding(false, f)).toEqual({ enabled: false, policyDrop: false });
      writeFileSync(f, '0\n');
      expect(await setupIpForwarding(false, f)).toEqual({ enabled: true, policyDrop: false });
      expect(read(f, 'utf8')).toBe('1\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
