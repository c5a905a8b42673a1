// Docker networking across a kill -9 of tsctr-dockerd, and run/rm cycles that must leave nothing
// behind, through the real docker CLI 28: published ports keep answering while the daemon is down
// (kernel DNAT, no userland proxy), names resolve and ports are held again after the restart, and
// removing everything leaves the host's iptables rules, veths, netns mounts, IP allocations and the
// daemon's descriptors as they were.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, type Dockerd, dockerFixture } from './dockerd-harness.js';
import {
  bridgeOf,
  curl,
  curlUntil,
  existing,
  freePort,
  httpdCmd,
  net24,
  ok,
  ruleLines,
  vethsOn,
} from './dockerd-network-util.js';
import { run } from './harness.js';
import { until } from './wait.js';

let fx: DockerFixture;
let d: Dockerd;
let ref: string;

beforeAll(async () => {
  fx = await dockerFixture();
  ({ d, ref } = fx);
}, 60_000);

afterAll(async () => {
  await fx?.stop();
});

const ls = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};
const fds = () => readdirSync(`/proc/${d.proc?.pid}/fd`).length;
const ipOn = (ctr: string, network: string) =>
  ok(d, ['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, ctr]);
/** The default bridge's first container address: the bridge's subnet with host part 2. */
const lowestOnBridge = () => d.bip.split('/')[0].replace(/\.1$/, '.2');

/** The lowest /24 of the test daemons' pool (10.199.128.0/17) that no host route covers now. */
function lowestFreePoolSubnet(): string {
  const routes = execFileSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' });
  for (let n = 128; n < 256; n++) if (!routes.includes(`10.199.${n}.`)) return `10.199.${n}.0/24`;
  throw new Error('the test pool is full');
}

/** A line echoed back over one TCP connection that stays open. */
function echoOver(sock: net.Socket, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no echo of ${line}`)), 5000);
    sock.once('data', (b: Buffer) => {
      clearTimeout(t);
      resolve(b.toString());
    });
    sock.write(`${line}\n`);
  });
}

describe('kill -9 of tsctr-dockerd with 10 containers publishing ports', () => {
  it('ports answer during the outage; DNS, docker port and held ports come back; removal leaves nothing', async () => {
    const sub = `172.31.${Math.floor(Math.random() * 250) + 1}.`;
    const addrs = [net24(d.bip), sub];
    const before = { rules: ruleLines(d.chainPrefix, [d.bridge], addrs), veths: vethsOn([d.bridge]) };
    await ok(d, ['network', 'create', '--subnet', `${sub}0/24`, 'crashnet']);
    const br = await bridgeOf(d, 'crashnet');
    const ports: number[] = [];
    const names: string[] = [];
    for (let i = 0; i < 10; i++) {
      const p = await freePort();
      const name = `c${i}`;
      const network = i < 5 ? ['--network', 'crashnet'] : [];
      // c9 publishes on all addresses: its `::` entry is served by the daemon's relay.
      const publish = i === 9 ? `${p}:80` : `127.0.0.1:${p}:80`;
      await ok(d, ['run', '-d', '--name', name, ...network, '-p', publish, ref, ...httpdCmd(`crash ${i}`)]);
      ports.push(p);
      names.push(name);
    }
    // A long-lived TCP flow through a published port: an echo server on the default bridge.
    const echoPort = await freePort();
    await ok(d, [
      'run',
      '-d',
      '--name',
      'echo',
      '-p',
      `${echoPort}:90`,
      ref,
      'nc',
      '-ll',
      '-p',
      '90',
      '-e',
      'cat',
    ]);
    names.push('echo');
    for (let i = 0; i < 10; i++) await curlUntil(`http://127.0.0.1:${ports[i]}/`, `crash ${i}\n`);
    await curlUntil(`http://[::1]:${ports[9]}/`, 'crash 9\n');
    const rulesDuring = ruleLines(d.chainPrefix, [d.bridge, br], addrs);
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const tryOnce = (left: number) => {
        const s = net.connect(echoPort, '127.0.0.1');
        s.once('connect', () => resolve(s));
        s.once('error', (e) => (left > 0 ? setTimeout(() => tryOnce(left - 1), 100) : reject(e)));
      };
      tryOnce(50);
    });
    try {
      expect(await echoOver(sock, 'before')).toBe('before\n');
      const during = vethsOn([d.bridge, br]);
      expect(during.length).toBe(before.veths.length + 11);
      // Two containers that will end while the daemon is down: one on each network, one port each.
      const gonePorts = [await freePort(), await freePort()];
      await ok(d, [
        'run',
        '-d',
        '--name',
        'gone1',
        '-p',
        `127.0.0.1:${gonePorts[0]}:80`,
        ref,
        ...httpdCmd('g1'),
      ]);
      await ok(d, [
        'run',
        '-d',
        '--name',
        'gone2',
        '--network',
        'crashnet',
        '-p',
        `127.0.0.1:${gonePorts[1]}:80`,
        ref,
        ...httpdCmd('g2'),
      ]);
      names.push('gone1', 'gone2');
      await curlUntil(`http://127.0.0.1:${gonePorts[0]}/`, 'g1\n');
      await curlUntil(`http://127.0.0.1:${gonePorts[1]}/`, 'g2\n');
      const goneIps = [await ipOn('gone1', 'bridge'), await ipOn('gone2', 'crashnet')];
      const gonePids = [
        Number(await ok(d, ['inspect', '-f', '{{.State.Pid}}', 'gone1'])),
        Number(await ok(d, ['inspect', '-f', '{{.State.Pid}}', 'gone2'])),
      ];
      const goneVeths = vethsOn([d.bridge, br]).filter((v) => !during.includes(v));
      expect(goneVeths).toHaveLength(2);

      await d.kill9();
      for (const pid of gonePids) process.kill(pid, 'SIGKILL');
      // The daemon is gone: the kernel still forwards, old flows and new connections alike.
      expect(await echoOver(sock, 'during')).toBe('during\n');
      for (let i = 0; i < 10; i++)
        expect((await curl(`http://127.0.0.1:${ports[i]}/`)).stdout).toBe(`crash ${i}\n`);

      await d.start();
      // What the two that ended while we were down held is swept: rules, veths, names, ports, addresses.
      await until(async () => (await ok(d, ['inspect', '-f', '{{.State.Status}}', 'gone2'])) === 'exited');
      expect(await ok(d, ['inspect', '-f', '{{.State.Status}}', 'gone1'])).toBe('exited');
      const swept = () =>
        JSON.stringify(ruleLines(d.chainPrefix, [d.bridge, br], addrs)) === JSON.stringify(rulesDuring);
      await until(swept, 10_000).catch(() => undefined);
      expect(ruleLines(d.chainPrefix, [d.bridge, br], addrs)).toEqual(rulesDuring);
      expect(existing(goneVeths)).toEqual([]);
      const gn = await d.docker(['exec', 'c0', 'nslookup', '-type=a', 'gone2'], { timeoutMs: 20_000 });
      expect(gn.stdout).not.toContain(`Address: ${goneIps[1]}`);
      expect(await echoOver(sock, 'after')).toBe('after\n');
      // Names resolve again, from a container that was running all along.
      const r = await d.docker(['exec', 'c0', 'nslookup', '-type=a', 'c1'], { timeoutMs: 20_000 });
      expect(r.stdout).toContain(`Address: ${await ipOn('c1', 'crashnet')}`);
      expect((await d.docker(['exec', 'c2', 'ping', '-c', '1', '-W', '2', 'c3'])).code).toBe(0);
      for (let i = 0; i < 9; i++)
        expect(await ok(d, ['port', names[i]])).toBe(`80/tcp -> 127.0.0.1:${ports[i]}`);
      expect(await ok(d, ['port', 'c9'])).toBe(`80/tcp -> 0.0.0.0:${ports[9]}\n80/tcp -> [::]:${ports[9]}`);
      await curlUntil(`http://[::1]:${ports[9]}/`, 'crash 9\n');
      // The restart rebuilt nothing twice: the same rules as before the kill.
      expect(ruleLines(d.chainPrefix, [d.bridge, br], addrs)).toEqual(rulesDuring);
      await ok(d, [
        'run',
        '-d',
        '--name',
        'taker',
        '-p',
        `127.0.0.1:${gonePorts[0]}:80`,
        ref,
        ...httpdCmd('taker'),
      ]);
      names.push('taker');
      await curlUntil(`http://127.0.0.1:${gonePorts[0]}/`, 'taker\n');
      // The lowest free address on the default bridge was gone1's.
      expect(await ipOn('taker', 'bridge')).toBe(goneIps[0]);
      const members = JSON.parse(
        await ok(d, ['network', 'inspect', '-f', '{{json .Containers}}', 'crashnet']),
      ) as Record<string, { Name: string }>;
      expect(
        Object.values(members)
          .map((m) => m.Name)
          .sort(),
      ).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
      // A container that outlived the daemon can be connected and disconnected by the new one.
      await ok(d, ['network', 'connect', 'crashnet', 'c5']);
      expect((await d.docker(['exec', 'c5', 'ip', '-o', 'addr', 'show', 'dev', 'eth1'])).code).toBe(0);
      const c5 = await d.docker(['exec', 'c0', 'nslookup', '-type=a', 'c5'], { timeoutMs: 20_000 });
      expect(c5.stdout).toContain(`Address: ${await ipOn('c5', 'crashnet')}`);
      await ok(d, ['network', 'disconnect', 'crashnet', 'c5']);
      expect((await d.docker(['exec', 'c5', 'ip', '-o', 'addr', 'show', 'dev', 'eth1'])).code).not.toBe(0);
      expect(await ok(d, ['port', 'echo', '90'])).toBe(`0.0.0.0:${echoPort}\n[::]:${echoPort}`);
      // Ports held by running containers are still held by the restarted daemon.
      const thief = await d.docker([
        'run',
        '-d',
        '--name',
        'thief',
        '-p',
        `127.0.0.1:${ports[0]}:80`,
        ref,
        'sleep',
        '60',
      ]);
      expect(thief.code).toBe(125);
      expect(thief.stderr).toContain(`Bind for 127.0.0.1:${ports[0]} failed: port is already allocated`);
      const thief2 = await d.docker([
        'run',
        '-d',
        '--name',
        'thief2',
        '-p',
        `${echoPort}:80`,
        ref,
        'sleep',
        '60',
      ]);
      expect(thief2.code).toBe(125);
      expect(thief2.stderr).toContain(`Bind for 0.0.0.0:${echoPort} failed: port is already allocated`);
      expect((await curl(`http://127.0.0.1:${ports[0]}/`)).stdout).toBe('crash 0\n');
      // A new container after the restart gets an address, a name and a port.
      const p = await freePort();
      await ok(d, [
        'run',
        '-d',
        '--name',
        'late',
        '--network',
        'crashnet',
        '-p',
        `127.0.0.1:${p}:80`,
        ref,
        ...httpdCmd('late'),
      ]);
      await curlUntil(`http://127.0.0.1:${p}/`, 'late\n');
      const r2 = await d.docker(['exec', 'c4', 'nslookup', '-type=a', 'late'], { timeoutMs: 20_000 });
      expect(r2.stdout).toContain(`Address: ${await ipOn('late', 'crashnet')}`);
      names.push('late', 'thief', 'thief2');
    } finally {
      sock.destroy();
    }

    await ok(d, ['rm', '-f', ...names], 60_000);
    await ok(d, ['network', 'rm', 'crashnet']);
    expect(ruleLines(d.chainPrefix, [d.bridge, br], addrs)).toEqual(before.rules);
    expect(vethsOn([d.bridge])).toEqual(before.veths);
    expect(existing([br])).toEqual([]);
    expect(ls(path.join(d.execRoot, 'netns'))).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(path.join(d.execRoot, 'netns'));
    for (const p of ports) expect((await curl(`http://127.0.0.1:${p}/`, 1)).code).not.toBe(0);
  }, 120_000);
});

describe('networking leaks', () => {
  it('100 run -d -p / rm -f and 20 network create / run --network / network rm cycles leave nothing', async () => {
    const addrs = [net24(d.bip)];
    const base = { rules: ruleLines(d.chainPrefix, [d.bridge], addrs), veths: vethsOn([d.bridge]), fds: 0 };
    const port = await freePort();
    const veths = new Set<string>();
    const bridges = new Set<string>();
    for (let i = 0; i < 100; i++) {
      await ok(d, ['run', '-d', '--name', 'lk', '-p', `127.0.0.1:${port}:80`, ref, 'sleep', '600']);
      // Every run gets the lowest address again, and the same host port is free again.
      expect(await ipOn('lk', 'bridge')).toBe(lowestOnBridge());
      for (const v of vethsOn([d.bridge])) veths.add(v);
      if (i === 0) {
        // What one published port adds, so that its absence later means something: DNAT, ACCEPT, hairpin.
        const added = ruleLines(d.chainPrefix, [d.bridge], addrs).filter((l) => !base.rules.includes(l));
        expect(added.join('\n')).toMatch(/ -j DNAT --to-destination /);
        expect(added.join('\n')).toMatch(/^filter -A .* -j ACCEPT$/m);
        expect(added.join('\n')).toMatch(/^nat -A POSTROUTING .* -j MASQUERADE$/m);
      }
      await ok(d, ['rm', '-f', 'lk']);
      if (i === 5) base.fds = fds();
    }
    for (let i = 0; i < 20; i++) {
      // A freed subnet is reused: every cycle gets the lowest pool subnet no route on the host covers
      // (other engineers' test daemons on this machine may hold some of the pool meanwhile).
      const expected = lowestFreePoolSubnet();
      await ok(d, ['network', 'create', 'lknet']);
      const subnet = await ok(d, ['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'lknet']);
      expect(subnet).toBe(expected);
      // Its container's address (its subnet may be another daemon's once we release it).
      const ctrIp = subnet.replace(/\.0\/\d+$/, '.2');
      if (!addrs.includes(`${ctrIp}/32`)) addrs.push(`${ctrIp}/32`, `${ctrIp}:`);
      const br = await bridgeOf(d, 'lknet');
      bridges.add(br);
      await ok(d, [
        'run',
        '-d',
        '--name',
        'lkn',
        '--network',
        'lknet',
        '-p',
        `127.0.0.1:${port}:80`,
        ref,
        'sleep',
        '600',
      ]);
      expect(await ipOn('lkn', 'lknet')).toBe(ctrIp);
      for (const v of vethsOn([br])) veths.add(v);
      await ok(d, ['rm', '-f', 'lkn']);
      await ok(d, ['network', 'rm', 'lknet']);
    }
    expect(veths.size).toBeGreaterThan(0);
    expect(ruleLines(d.chainPrefix, [d.bridge, ...bridges], addrs)).toEqual(base.rules);
    expect(vethsOn([d.bridge])).toEqual(base.veths);
    expect(existing([...veths, ...bridges])).toEqual([]);
    expect(ls(path.join(d.execRoot, 'netns'))).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(path.join(d.execRoot, 'netns'));
    expect(await ok(d, ['network', 'ls', '--filter', 'type=custom', '-q'])).toBe('');
    // The next container gets the lowest address again.
    await ok(d, ['run', '-d', '--name', 'last', ref, 'sleep', '600']);
    expect(await ipOn('last', 'bridge')).toBe(lowestOnBridge());
    await ok(d, ['rm', '-f', 'last']);
    await new Promise((r) => setTimeout(r, 500));
    expect(fds()).toBeLessThanOrEqual(base.fds + 3);
    const held = await run('ss', ['-Hlnt', `sport = :${port}`]);
    expect(held.stdout.trim()).toBe('');
  }, 180_000);
});
