// Needs root: real bridges, veths, pinned namespaces and iptables, under a chain prefix and names
// of this run only (never DOCKER, never docker0), in 10.199.0.0/16. Everything is removed at the
// end, even on failure, and iptables-save / the link list must then be what they were.
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Firewall, parseSave, runTool } from '../iptables/index.js';
import type { Endpoint } from '../driver.js';
import { createNetns, removeNetns, withNetns } from '../netns.js';
import { PortPublisher, PortTable, portRequests } from '../ports/index.js';
import { BridgeDriver, type BridgeNetwork, deleteBridgeLink, vethName } from './index.js';
import { links } from './ip.js';

const rand = randomBytes(2).toString('hex');
const x = randomInt(20, 240);
const dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-bridge-'));
const nsFiles: string[] = [];
const bridges = [`tsa${rand}`, `tsb${rand}`, `tsf${rand}`];
const firewalls: Firewall[] = [];

const netA: BridgeNetwork = { bridge: bridges[0], gateway: `10.199.${x}.1`, prefixLen: 24 };
const netB: BridgeNetwork = { bridge: bridges[1], gateway: `10.199.${x + 1}.1`, prefixLen: 24 };
const subnetA = `10.199.${x}.0/24`;
const subnetB = `10.199.${x + 1}.0/24`;

const saveText = async () =>
  (await runTool('iptables-save', []))
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/, ''))
    .join('\n');
const linkNames = async () => (await links()).map((l) => l.ifname).sort();

function newNetns(name: string): string {
  const f = path.join(dir, name);
  createNetns(f);
  nsFiles.push(f);
  return f;
}

async function ping(ns: string, ip: string): Promise<boolean> {
  try {
    await runTool('nsenter', [`--net=${ns}`, '/bin/busybox', 'ping', '-c1', '-W2', ip]);
    return true;
  } catch {
    return false;
  }
}

function firewall(prefix: string, userlandProxy = false): Firewall {
  const fw = new Firewall({ prefix, userlandProxy });
  firewalls.push(fw);
  return fw;
}

let before = '';
let linksBefore: string[] = [];

beforeAll(async () => {
  before = await saveText();
  linksBefore = await linkNames();
});

afterAll(async () => {
  for (const f of nsFiles) removeNetns(f);
  for (const b of bridges) {
    await deleteBridgeLink(b).catch(() => {});
    await runTool('ip', ['link', 'del', 'dev', b]).catch(() => {});
  }
  for (const fw of firewalls) {
    await fw
      .removeAll([netA, netB].map((n) => new BridgeDriver({ firewall: fw }).rulesOf(n)))
      .catch(() => {});
  }
  rmSync(dir, { recursive: true, force: true });
  await expectHostAsBefore();
});

/**
 * Exact removal: every iptables line and link that was there before is still there, and nothing of
 * this run is left (other engineers' tests may add or remove their own things meanwhile; when
 * nobody else touches the host, this is `iptables-save` before == after).
 */
async function expectHostAsBefore(): Promise<void> {
  const marks = [`TC${rand}`, `TR${rand}`, `TS${rand}`, `TH${rand}`, ...bridges, subnetA, subnetB];
  const after = (await saveText()).split('\n');
  const afterSet = new Set(after);
  const lost = before
    .split('\n')
    .filter((l) => !afterSet.has(l) && !l.startsWith('*') && !l.startsWith('COMMIT'));
  expect(lost).toEqual([]);
  expect(after.filter((l) => marks.some((m) => l.includes(m)))).toEqual([]);
  const names = await linkNames();
  expect(linksBefore.filter((n) => !names.includes(n))).toEqual([]);
  const veths = [
    ['c1', netA],
    ['c2', netA],
    ['c3', netB],
    ['s1', netB],
  ].map(([id, n]) => vethName(id as string, (n as BridgeNetwork).bridge));
  expect(names.filter((n) => bridges.includes(n) || veths.includes(n))).toEqual([]);
}

/** Only what belongs to this test: our chains whole, and rules elsewhere that name our things. */
function ours(text: string, marks: string[]) {
  const snap = parseSave(text);
  const out: Record<string, Record<string, string[]>> = {};
  for (const table of ['filter', 'nat']) {
    out[table] = {};
    for (const [chain, rules] of snap.get(table) ?? []) {
      const mine = marks.some((m) => chain.startsWith(m))
        ? rules
        : rules.filter((r) => marks.some((m) => r.includes(m)));
      if (mine.length || marks.some((m) => chain.startsWith(m))) out[table][chain] = mine;
    }
  }
  return out;
}

describe('bridge networks, real kernel', () => {
  it("programs exactly dockerd's rules (captures, names substituted), idempotently, and removes them exactly", async () => {
    const prefix = `TC${rand}`;
    const fw = firewall(prefix, true);
    const driver = new BridgeDriver({ firewall: fw });
    const marks = [prefix, netA.bridge, netB.bridge, subnetA, subnetB];
    const port = 20000 + randomInt(0, 9000);
    const capture = (name: string) =>
      ours(
        readFileSync(new URL(`../iptables/testdata/iptables-${name}.txt`, import.meta.url), 'utf8')
          .replace(/DOCKER/g, prefix)
          .replace(/docker0/g, netA.bridge)
          .replace(/br-df229c2f28c2/g, netB.bridge)
          .replace(/172\.17\.0\.0\/16/g, subnetA)
          .replace(/172\.18\.0\.0\/16/g, subnetB)
          .replace(/172\.17\.0\.2/g, `10.199.${x}.2`)
          .replace(/18080/g, String(port)),
        marks,
      );
    const live = async () => ours(await saveText(), marks);
    const web1 = {
      bridge: netA.bridge,
      proto: 'tcp' as const,
      hostIp: '127.0.0.1',
      hostPort: port,
      containerIp: `10.199.${x}.2`,
      containerPort: 80,
    };

    await fw.ensureBase();
    await driver.createNetwork(netA);
    expect(await live()).toEqual(capture('after-start'));
    await fw.publish([web1]);
    expect(await live()).toEqual(capture('with-p'));
    await driver.createNetwork(netB);
    expect(await live()).toEqual(capture('with-n1'));
    // Ensure again, everything: nothing is added twice.
    await fw.ensureBase();
    await driver.createNetwork(netA);
    await driver.createNetwork(netB);
    await fw.publish([web1]);
    expect(await live()).toEqual(capture('with-n1'));
    await fw.unpublish([web1]);
    await driver.deleteNetwork(netB);
    expect(await live()).toEqual(capture('after-container-removal'));
    await driver.deleteNetwork(netA);
    await fw.removeAll();
    await expectHostAsBefore();
  });

  it('refuses a bridge name or a subnet it did not create, naming the option to change', async () => {
    const fw = firewall(`TR${rand}`);
    const driver = new BridgeDriver({ firewall: fw });
    const foreign = bridges[2];
    await runTool('ip', ['link', 'add', 'name', foreign, 'type', 'bridge']);
    await runTool('ip', ['addr', 'add', `10.199.${x}.1/24`, 'dev', foreign]);
    try {
      await expect(driver.createNetwork({ ...netB, bridge: foreign })).rejects.toThrow(
        `cannot use bridge ${foreign}: an interface with this name already exists and was not created by tsctr-dockerd`,
      );
      await expect(driver.createNetwork({ ...netB, bridge: foreign })).rejects.toThrow(/--bridge$/);
      await expect(driver.createNetwork(netA)).rejects.toThrow(
        `cannot use subnet ${subnetA} for bridge ${netA.bridge}: it overlaps 10.199.${x}.1/24 on ${foreign}, which is not created by ${driver.ownerMark}; choose another subnet with --bip`,
      );
      // And we never delete it.
      expect(await deleteBridgeLink(foreign, driver.ownerMark)).toBe(false);
      expect(await driver.sweepNetworks([])).toEqual([]);
    } finally {
      await runTool('ip', ['link', 'del', 'dev', foreign]);
    }
    expect((await links()).some((l) => l.ifname === netA.bridge)).toBe(false);
  });

  it('after a restart, sweeps the rules, bridges and veths that nothing wants any more', async () => {
    const prefix = `TS${rand}`;
    const fw = firewall(prefix);
    const driver = new BridgeDriver({ firewall: fw });
    const ns = newNetns('s1');
    const e = {
      containerId: 's1',
      network: netB.bridge,
      sandboxPath: ns,
      bridge: netB.bridge,
      ip: `10.199.${x + 1}.2`,
      prefixLen: 24,
      gateway: netB.gateway,
      isDefaultRoute: true,
    };
    const marks = [prefix, netA.bridge, netB.bridge, subnetA, subnetB];
    try {
      await fw.ensureBase();
      await driver.createNetwork(netA);
      const onlyA = ours(await saveText(), marks);
      await driver.createNetwork(netB);
      await driver.join(e);
      const port = {
        bridge: netB.bridge,
        proto: 'tcp' as const,
        hostIp: '0.0.0.0',
        hostPort: 20000 + randomInt(0, 9000),
        containerIp: e.ip,
        containerPort: 80,
      };
      const portA = {
        ...port,
        bridge: netA.bridge,
        containerIp: `10.199.${x}.9`,
        hostPort: port.hostPort + 1,
      };
      await fw.publish([port, portA]);
      // A new daemon (same prefix) that only knows network A and no published port.
      const fw2 = firewall(prefix);
      const driver2 = new BridgeDriver({ firewall: fw2 });
      await fw2.sweep([driver2.rulesOf(netA)], []);
      expect(ours(await saveText(), marks)).toEqual(onlyA);
      expect(await driver2.sweep(netB.bridge, [])).toHaveLength(1);
      expect(await driver2.sweepNetworks([netA.bridge])).toEqual([netB.bridge]);
      expect((await links()).map((l) => l.ifname)).not.toContain(netB.bridge);
    } finally {
      await driver.leave(e).catch(() => {});
      await driver.deleteNetwork(netB).catch(() => {});
      await driver.deleteNetwork(netA).catch(() => {});
      await fw.removeAll().catch(() => {});
    }
  });

  it('containers on one bridge reach each other, not across bridges; a published 127.0.0.1 port is DNATed into the netns', async () => {
    const prefix = `TH${rand}`;
    const fw = firewall(prefix);
    const driver = new BridgeDriver({ firewall: fw });
    const table = new PortTable();
    const publisher = new PortPublisher(table, fw);
    const ns1 = newNetns('c1');
    const ns2 = newNetns('c2');
    const ns3 = newNetns('c3');
    const ep = (id: string, ns: string, n: BridgeNetwork, host: number): Endpoint & { ip: string } => ({
      containerId: id,
      network: n.bridge,
      sandboxPath: ns,
      bridge: n.bridge,
      ip: n.gateway.replace(/\.1$/, `.${host}`),
      prefixLen: 24,
      gateway: n.gateway,
      isDefaultRoute: true,
    });
    const e1 = ep('c1', ns1, netA, 2);
    const e2 = ep('c2', ns2, netA, 3);
    const e3 = ep('c3', ns3, netB, 2);
    let server: net.Server | undefined;
    try {
      await fw.ensureBase();
      await driver.createNetwork(netA);
      await driver.createNetwork(netB);
      for (const e of [e1, e2, e3]) await driver.join(e);
      expect(e1.ifname).toBe('eth0');
      const inside = (await links(ns1)).find((l) => l.ifname === 'eth0');
      expect(inside?.address).toBe(`02:42:0a:c7:${x.toString(16).padStart(2, '0')}:02`);
      expect(inside?.addr_info?.find((a) => a.family === 'inet')).toMatchObject({
        local: e1.ip,
        prefixlen: 24,
      });
      const rt = await runTool('nsenter', [`--net=${ns1}`, 'ip', 'route', 'show', 'default']);
      expect(rt.trim()).toBe(`default via ${netA.gateway} dev eth0`);
      expect(readFileSync(`/proc/sys/net/ipv4/conf/${netA.bridge}/route_localnet`, 'utf8').trim()).toBe('1');

      expect(await ping(ns1, e2.ip)).toBe(true);
      expect(await ping(ns2, e1.ip)).toBe(true);

      // Routing between our two bridges only (not the host's other interfaces), then isolation.
      for (const b of [netA.bridge, netB.bridge]) writeSysctl(b, 'forwarding', '1');
      await runTool('iptables', ['-w', '-I', `${prefix}-ISOLATION-STAGE-1`, '1', '-j', 'RETURN']);
      expect(await ping(ns1, e3.ip)).toBe(true);
      await runTool('iptables', ['-w', '-D', `${prefix}-ISOLATION-STAGE-1`, '-j', 'RETURN']);
      expect(await ping(ns1, e3.ip)).toBe(false);
      expect(await ping(ns3, e1.ip)).toBe(false);

      // A listener inside c1, published on 127.0.0.1 and on all addresses.
      server = withNetns(ns1, () => net.createServer((c) => c.end('hello from c1\n')).listen(80));
      const p1 = 20000 + randomInt(0, 9000);
      const p2 = p1 + 1;
      const reqs = portRequests({
        '80/tcp': [
          { HostIp: '127.0.0.1', HostPort: String(p1) },
          { HostIp: '', HostPort: String(p2) },
        ],
      });
      const published = await publisher.publish('c1', reqs, { bridge: netA.bridge, containerIp: e1.ip });
      expect(published.map((p) => `${p.hostIp}:${p.hostPort}`)).toEqual([
        `127.0.0.1:${p1}`,
        `0.0.0.0:${p2}`,
        `:::${p2}`,
      ]);
      const dnat = parseSave(await saveText())
        .get('nat')
        ?.get(prefix);
      expect(dnat).toEqual([
        `-d 127.0.0.1/32 -p tcp -m tcp --dport ${p1} -j DNAT --to-destination ${e1.ip}:80`,
        `-p tcp -m tcp --dport ${p2} -j DNAT --to-destination ${e1.ip}:80`,
      ]);
      expect(await fetchLine('127.0.0.1', p1)).toBe('hello from c1\n');
      expect(await fetchLine('127.0.0.1', p2)).toBe('hello from c1\n');
      expect(await fetchLine('::1', p2)).toBe('hello from c1\n');

      await expect(
        publisher.publish('c2', reqs.slice(0, 1), { bridge: netA.bridge, containerIp: e2.ip }),
      ).rejects.toThrow(`Bind for 127.0.0.1:${p1} failed: port is already allocated`);
      await publisher.unpublish('c1');
      expect(
        parseSave(await saveText())
          .get('nat')
          ?.get(prefix),
      ).toEqual([]);
      await expect(fetchLine('127.0.0.1', p1)).rejects.toThrow(/ECONNREFUSED/);

      // Leaving removes the host veth; the sweep removes strays.
      await driver.leave(e2);
      expect(
        (await links()).some(
          (l) => l.master === netA.bridge && l.ifname.startsWith('veth') && l.ifname !== '',
        ),
      ).toBe(true);
      expect(await driver.sweep(netA.bridge, [])).toHaveLength(1);
      expect((await links()).filter((l) => l.master === netA.bridge)).toEqual([]);
    } finally {
      server?.close();
      for (const o of table.owners()) await publisher.unpublish(o).catch(() => {});
      for (const e of [e1, e2, e3]) await driver.leave(e).catch(() => {});
      await driver.deleteNetwork(netA).catch(() => {});
      await driver.deleteNetwork(netB).catch(() => {});
      await fw.removeAll().catch(() => {});
    }
  });
});

function writeSysctl(ifname: string, key: string, value: string): void {
  writeFileSync(`/proc/sys/net/ipv4/conf/${ifname}/${key}`, value);
}

function fetchLine(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host, port });
    let got = '';
    c.setTimeout(5000, () => c.destroy(new Error('timeout')));
    c.on('data', (b) => (got += b.toString()));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
}
