// Docker networking through the real docker CLI 28 against tsctr-dockerd, checked the way a user would:
// published ports answered by curl from the host, DNS between containers, isolation and internal
// networks, connect/disconnect, the network commands and their events, and the inspect/ps views.
// Expected texts and shapes are dockerd 20.10's (/work/shared/reference/docker-networking-build.md §2–3).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, type Dockerd, dockerFixture } from './dockerd-harness.js';
import { bridgeOf, curl, curlUntil, freePort, httpdCmd, ok, udpAsk } from './dockerd-network-util.js';
import { run } from './harness.js';
import { until } from './wait.js';

let fx: DockerFixture;
let d: Dockerd;
let ref: string;
/** The default bridge's gateway address (the host side of d.bridge). */
let gw: string;

beforeAll(async () => {
  fx = await dockerFixture();
  ({ d, ref } = fx);
  gw = d.bip.split('/')[0];
}, 60_000);

afterAll(async () => {
  await fx?.stop();
});

const sh = (ctr: string, script: string) =>
  d.docker(['exec', ctr, 'sh', '-c', script], { timeoutMs: 20_000 });
const shortId = async (ctr: string) => (await ok(d, ['inspect', '-f', '{{.Id}}', ctr])).slice(0, 12);
const ipOn = (ctr: string, network: string) =>
  ok(d, ['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, ctr]);
/** busybox nslookup through the container's resolv.conf: the A addresses of the answer section. */
async function lookup(ctr: string, name: string): Promise<string[]> {
  const r = await d.docker(['exec', ctr, 'nslookup', '-type=a', name], { timeoutMs: 20_000 });
  const answer = r.stdout
    .split(/\n\s*\n/)
    .slice(1)
    .join('\n');
  return [...answer.matchAll(/^Address:\s*([0-9.]+)$/gm)].map((m) => m[1]).sort();
}
const pingOk = async (ctr: string, target: string) =>
  (await d.docker(['exec', ctr, 'ping', '-c', '1', '-W', '2', target], { timeoutMs: 20_000 })).code === 0;

describe('published ports', () => {
  it('-p 127.0.0.1:P:80 and -p P:80 are answered by curl from the host; docker port, ps and inspect show them', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    await ok(d, ['run', '-d', '--name', 'web1', '-p', `127.0.0.1:${p1}:80`, ref, ...httpdCmd('hello web1')]);
    await ok(d, ['run', '-d', '--name', 'web2', '-p', `${p2}:80`, ref, ...httpdCmd('hello web2')]);
    await curlUntil(`http://127.0.0.1:${p1}/`, 'hello web1\n');
    await curlUntil(`http://127.0.0.1:${p2}/`, 'hello web2\n');
    // All addresses: the default bridge's gateway (a host address this test made) answers too; a port
    // published on 127.0.0.1 only does not.
    expect((await curl(`http://${gw}:${p2}/`)).stdout).toBe('hello web2\n');
    expect((await curl(`http://${gw}:${p1}/`, 2)).code).not.toBe(0);
    // The `::` entry answers on IPv6 loopback too, so `localhost` works whichever family curl tries first.
    expect((await curl(`http://[::1]:${p2}/`)).stdout).toBe('hello web2\n');
    expect((await curl(`http://localhost:${p2}/`)).stdout).toBe('hello web2\n');

    expect(await ok(d, ['port', 'web1'])).toBe(`80/tcp -> 127.0.0.1:${p1}`);
    expect(await ok(d, ['port', 'web2'])).toBe(`80/tcp -> 0.0.0.0:${p2}\n80/tcp -> [::]:${p2}`);
    expect(await ok(d, ['port', 'web2', '80'])).toBe(`0.0.0.0:${p2}\n[::]:${p2}`);
    expect(await ok(d, ['ps', '--filter', 'name=web1', '--format', '{{.Ports}}'])).toBe(
      `127.0.0.1:${p1}->80/tcp`,
    );
    expect(await ok(d, ['ps', '--filter', 'name=web2', '--format', '{{.Ports}}'])).toBe(
      `0.0.0.0:${p2}->80/tcp, [::]:${p2}->80/tcp`,
    );
    const ports = JSON.parse(
      await ok(d, ['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'web2']),
    ) as unknown;
    expect(ports).toEqual({
      '80/tcp': [
        { HostIp: '0.0.0.0', HostPort: String(p2) },
        { HostIp: '::', HostPort: String(p2) },
      ],
    });
    const bindings = JSON.parse(
      await ok(d, ['inspect', '-f', '{{json .HostConfig.PortBindings}}', 'web1']),
    ) as unknown;
    expect(bindings).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(p1) }] });
  });

  it('a second container on a held port: run exits 125 with dockerd text and stays Created', async () => {
    const p1 = (await ok(d, ['port', 'web1', '80'])).split(':')[1];
    const r = await d.docker([
      'run',
      '-d',
      '--name',
      'web1b',
      '-p',
      `127.0.0.1:${p1}:80`,
      ref,
      ...httpdCmd('nope'),
    ]);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(
      new RegExp(
        `Error response from daemon: driver failed programming external connectivity on endpoint web1b ` +
          `\\([0-9a-f]{64}\\): Bind for 127\\.0\\.0\\.1:${p1} failed: port is already allocated`,
      ),
    );
    expect(await ok(d, ['inspect', '-f', '{{.State.Status}}', 'web1b'])).toBe('created');
    // The first container still serves the port.
    expect((await curl(`http://127.0.0.1:${p1}/`)).stdout).toBe('hello web1\n');
    // Same for a port published on all addresses.
    const p2 = (await ok(d, ['port', 'web2', '80'])).split('\n')[0].split(':')[1];
    const r2 = await d.docker(['run', '-d', '--name', 'web2b', '-p', `${p2}:80`, ref, 'sleep', '60']);
    expect(r2.code).toBe(125);
    expect(r2.stderr).toContain(`Bind for 0.0.0.0:${p2} failed: port is already allocated`);
    expect(await ok(d, ['inspect', '-f', '{{.State.Status}}', 'web2b'])).toBe('created');
    await ok(d, ['rm', '-f', 'web1b', 'web2b']);
  });

  it('-P with --expose picks host ports from ip_local_port_range, on 0.0.0.0 and ::', async () => {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    await ok(d, ['run', '-d', '--name', 'webP', '-P', '--expose', '80', ref, ...httpdCmd('hello webP')]);
    const out = (await ok(d, ['port', 'webP', '80'])).split('\n');
    expect(out).toHaveLength(2);
    const m = /^0\.0\.0\.0:(\d+)$/.exec(out[0]);
    expect(m).not.toBeNull();
    const port = Number(m![1]);
    expect(port).toBeGreaterThanOrEqual(low);
    expect(port).toBeLessThanOrEqual(high);
    expect(out[1]).toBe(`[::]:${port}`);
    await curlUntil(`http://127.0.0.1:${port}/`, 'hello webP\n');
    await ok(d, ['rm', '-f', 'webP']);
  });

  it('several ports, udp, and -P for an --expose: docker ps PORTS as dockerd lists them', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    await ok(d, ['network', 'create', 'nports']);
    const args = ['-p', `${p1}:80`, '-p', `127.0.0.1:${p2}:53/udp`, '--expose', '8080', '-P'];
    await ok(d, ['run', '-d', '--name', 'multi', '--network', 'nports', ...args, ref, 'sleep', '600']);
    const e = (await ok(d, ['port', 'multi', '8080'])).split('\n')[0].split(':')[1];
    expect(await ok(d, ['ps', '--filter', 'name=multi', '--format', '{{.Ports}}'])).toBe(
      `127.0.0.1:${p2}->53/udp, 0.0.0.0:${p1}->80/tcp, [::]:${p1}->80/tcp, ` +
        `0.0.0.0:${e}->8080/tcp, [::]:${e}->8080/tcp`,
    );
    await ok(d, ['rm', '-f', 'multi']);
    await ok(d, ['network', 'rm', 'nports']);
  });

  it('port ranges: host range to container range, and a host range for one port takes its first free port', async () => {
    const p = await freePort();
    const q = await freePort();
    const args = ['-p', `127.0.0.1:${p}-${p + 1}:80-81`, '-p', `127.0.0.1:${q}-${q + 5}:90`];
    const r = await d.docker(['run', '-d', '--name', 'ranges', ...args, ref, 'sleep', '600']);
    // The neighbours of a free port may be taken by someone else on this machine: then say so.
    if (r.code !== 0) expect(r.stderr).toMatch(/already (allocated|in use)/);
    else {
      expect(await ok(d, ['port', 'ranges', '80'])).toBe(`127.0.0.1:${p}`);
      expect(await ok(d, ['port', 'ranges', '81'])).toBe(`127.0.0.1:${p + 1}`);
      const got = Number((await ok(d, ['port', 'ranges', '90'])).split(':')[1]);
      expect(got).toBeGreaterThanOrEqual(q);
      expect(got).toBeLessThanOrEqual(q + 5);
    }
    await ok(d, ['rm', '-f', 'ranges']);
  });

  it('udp publish on 127.0.0.1 carries datagrams both ways', async () => {
    const p = await freePort();
    // busybox has no UDP server: the host's node, read-only, echoes datagrams in upper case.
    const echo =
      "const s=require('dgram').createSocket('udp4');" +
      "s.on('message',(m,r)=>s.send(m.toString().toUpperCase(),r.port,r.address));s.bind(5353)";
    const mounts = ['-v', '/usr:/usr:ro', '-v', '/usr/lib:/lib:ro', '-v', '/usr/lib64:/lib64:ro'];
    await ok(d, [
      'run',
      '-d',
      '--name',
      'udp1',
      '-p',
      `127.0.0.1:${p}:5353/udp`,
      ...mounts,
      ref,
      '/usr/bin/node',
      '-e',
      echo,
    ]);
    expect(await ok(d, ['port', 'udp1'])).toBe(`5353/udp -> 127.0.0.1:${p}`);
    expect(await udpAsk(p, 'ping over udp')).toBe('PING OVER UDP');
    expect(await ok(d, ['ps', '--filter', 'name=udp1', '--format', '{{.Ports}}'])).toBe(
      `127.0.0.1:${p}->5353/udp`,
    );
    await ok(d, ['rm', '-f', 'udp1']);
  });
});

describe('user networks: DNS', () => {
  beforeAll(async () => {
    await ok(d, ['network', 'create', 'n1']);
    await ok(d, [
      'run',
      '-d',
      '--name',
      'aa',
      '--network',
      'n1',
      '--network-alias',
      'alpha',
      ref,
      'sleep',
      '600',
    ]);
    await ok(d, ['run', '-d', '--name', 'bb', '--network', 'n1', ref, 'sleep', '600']);
  });

  it('containers resolve each other by name, alias and name.network, and ping by name', async () => {
    const [ipA, ipB] = [await ipOn('aa', 'n1'), await ipOn('bb', 'n1')];
    expect(await lookup('bb', 'aa')).toEqual([ipA]);
    expect(await lookup('bb', 'alpha')).toEqual([ipA]);
    expect(await lookup('bb', 'aa.n1')).toEqual([ipA]);
    expect(await lookup('aa', 'bb')).toEqual([ipB]);
    expect(await lookup('aa', 'bb.n1')).toEqual([ipB]);
    expect(await lookup('aa', await shortId('bb'))).toEqual([ipB]);
    expect(await pingOk('aa', 'bb')).toBe(true);
    expect(await pingOk('bb', 'alpha')).toBe(true);
  });

  it('a known name without IPv6 answers AAAA with no records; an unknown name fails fast', async () => {
    const aaaa = await d.docker(['exec', 'bb', 'nslookup', '-type=aaaa', 'aa'], { timeoutMs: 20_000 });
    // busybox prints an empty answer section for NOERROR with no records (NXDOMAIN: "can't find").
    expect(aaaa.stdout).toContain('Non-authoritative answer:');
    expect(aaaa.stdout.split('Non-authoritative answer:')[1].trim()).toBe('');
    expect(`${aaaa.stdout}${aaaa.stderr}`).not.toMatch(/NXDOMAIN|can't find/i);
    const t0 = Date.now();
    // The upstream is the daemon's --dns 127.0.0.1, where nothing answers: SERVFAIL, not a hang.
    const unknown = await d.docker(['exec', 'bb', 'nslookup', '-type=a', 'nosuchname.invalid'], {
      timeoutMs: 30_000,
    });
    expect(unknown.code).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(12_000);
  });

  it('a scaled alias answers with every container that has it', async () => {
    await ok(d, [
      'run',
      '-d',
      '--name',
      'svc1',
      '--network',
      'n1',
      '--network-alias',
      'svc',
      ref,
      'sleep',
      '600',
    ]);
    await ok(d, [
      'run',
      '-d',
      '--name',
      'svc2',
      '--network',
      'n1',
      '--network-alias',
      'svc',
      ref,
      'sleep',
      '600',
    ]);
    const want = [await ipOn('svc1', 'n1'), await ipOn('svc2', 'n1')].sort();
    expect(await lookup('aa', 'svc')).toEqual(want);
    await ok(d, ['rm', '-f', 'svc2']);
    expect(await lookup('aa', 'svc')).toEqual([await ipOn('svc1', 'n1')]);
    await ok(d, ['rm', '-f', 'svc1']);
  });

  it('/etc/hosts has the container’s own hostname; resolv.conf is the embedded resolver on user networks', async () => {
    const hosts = (await sh('aa', 'cat /etc/hosts')).stdout;
    expect(hosts).toContain(`${await ipOn('aa', 'n1')}\t${await shortId('aa')}`);
    expect((await sh('aa', 'hostname')).stdout.trim()).toBe(await shortId('aa'));
    expect((await sh('aa', 'cat /etc/resolv.conf')).stdout).toBe('nameserver 127.0.0.11\noptions ndots:0\n');
  });

  it('the default bridge gets the daemon’s --dns and no embedded resolver', async () => {
    const r = await d.docker(['run', '--rm', ref, 'cat', '/etc/resolv.conf']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nameserver 127\.0\.0\.1$/m);
    expect(r.stdout).not.toContain('127.0.0.11');
  });

  it('inspect: top-level NetworkSettings only on the default bridge; Aliases carry the short id', async () => {
    type Settings = {
      IPAddress: string;
      Gateway: string;
      MacAddress: string;
      EndpointID: string;
      Networks: Record<
        string,
        { IPAddress: string; Gateway: string; MacAddress: string; Aliases: string[] | null }
      >;
    };
    const ns = async (c: string) =>
      JSON.parse(await ok(d, ['inspect', '-f', '{{json .NetworkSettings}}', c])) as Settings;
    const a = await ns('aa');
    expect(Object.keys(a.Networks)).toEqual(['n1']);
    expect([a.IPAddress, a.Gateway, a.MacAddress, a.EndpointID]).toEqual(['', '', '', '']);
    expect(a.Networks.n1.Aliases).toEqual(['alpha', await shortId('aa')]);
    expect(a.Networks.n1.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const w = await ns('web1');
    expect(Object.keys(w.Networks)).toEqual(['bridge']);
    expect(w.IPAddress).toBe(w.Networks.bridge.IPAddress);
    expect(w.Gateway).toBe(gw);
    expect(w.Networks.bridge.Gateway).toBe(gw);
    const ipBytes = w.IPAddress.split('.').map((n) => Number(n).toString(16).padStart(2, '0'));
    expect(w.MacAddress).toBe(`02:42:${ipBytes.join(':')}`);
    expect(w.EndpointID).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('isolation and internal networks', () => {
  it('containers on two user networks cannot reach each other', async () => {
    await ok(d, ['network', 'create', 'n2']);
    await ok(d, ['run', '-d', '--name', 'other', '--network', 'n2', ref, 'sleep', '600']);
    expect(await pingOk('aa', await ipOn('other', 'n2'))).toBe(false);
    expect(await pingOk('other', await ipOn('aa', 'n1'))).toBe(false);
    // Names of another network are not answered either.
    expect(await lookup('other', 'aa')).toEqual([]);
    await ok(d, ['rm', '-f', 'other']);
  });

  it('an --internal network reaches its own members but nothing outside its subnet', async () => {
    await ok(d, ['network', 'create', '--internal', 'nint']);
    await ok(d, ['run', '-d', '--name', 'in1', '--network', 'nint', ref, 'sleep', '600']);
    await ok(d, ['run', '-d', '--name', 'in2', '--network', 'nint', ref, 'sleep', '600']);
    expect(await pingOk('in1', 'in2')).toBe(true);
    expect(await lookup('in2', 'in1')).toEqual([await ipOn('in1', 'nint')]);
    // The default bridge's gateway (a host address on another bridge) and a container there: unreachable.
    expect(await pingOk('in1', gw)).toBe(false);
    expect(await pingOk('in1', await ipOn('web1', 'bridge'))).toBe(false);
    await ok(d, ['rm', '-f', 'in1', 'in2']);
    await ok(d, ['network', 'rm', 'nint']);
  });
});

describe('connect and disconnect', () => {
  const hasEth1 = async (c: string) => (await sh(c, 'ip -o addr show dev eth1')).code === 0;

  it('on a running container: eth1 appears and disappears, DNS follows', async () => {
    await ok(d, ['run', '-d', '--name', 'peer2', '--network', 'n2', ref, 'sleep', '600']);
    expect(await hasEth1('bb')).toBe(false);
    await ok(d, ['network', 'connect', '--alias', 'beta', 'n2', 'bb']);
    expect(await hasEth1('bb')).toBe(true);
    const ip = await ipOn('bb', 'n2');
    expect((await sh('bb', 'ip -o -4 addr show dev eth1')).stdout).toContain(` ${ip}/`);
    expect(await lookup('peer2', 'bb')).toEqual([ip]);
    expect(await lookup('peer2', 'beta')).toEqual([ip]);
    expect(await pingOk('peer2', 'bb')).toBe(true);
    await ok(d, ['network', 'disconnect', 'n2', 'bb']);
    expect(await hasEth1('bb')).toBe(false);
    expect(await lookup('peer2', 'bb')).toEqual([]);
    // Still on n1, with its name there.
    expect(await lookup('aa', 'bb')).toEqual([await ipOn('bb', 'n1')]);
  });

  it('on a created container: the networks at start are the ones connected and not disconnected', async () => {
    await ok(d, ['create', '--name', 'cc', '--network', 'n1', ref, 'sleep', '600']);
    await ok(d, ['network', 'connect', '--alias', 'gamma', 'n2', 'cc']);
    await ok(d, ['create', '--name', 'dd', '--network', 'n1', ref, 'sleep', '600']);
    await ok(d, ['network', 'connect', 'n2', 'dd']);
    await ok(d, ['network', 'disconnect', 'n1', 'dd']);
    await ok(d, ['start', 'cc', 'dd']);
    expect(await hasEth1('cc')).toBe(true);
    expect(await lookup('peer2', 'gamma')).toEqual([await ipOn('cc', 'n2')]);
    expect(await lookup('aa', 'cc')).toEqual([await ipOn('cc', 'n1')]);
    expect(await hasEth1('dd')).toBe(false);
    expect((await sh('dd', 'ip -o -4 addr show dev eth0')).stdout).toContain(` ${await ipOn('dd', 'n2')}/`);
    expect(await lookup('aa', 'dd')).toEqual([]);
    expect(await lookup('peer2', 'dd')).toEqual([await ipOn('dd', 'n2')]);
    await ok(d, ['rm', '-f', 'cc', 'dd', 'peer2']);
  });

  it('--ip on a user network with --subnet; refused on the default bridge with dockerd text', async () => {
    const net = `172.31.${Math.floor(Math.random() * 250) + 1}`;
    await ok(d, ['network', 'create', '--subnet', `${net}.0/24`, 'nip']);
    await ok(d, [
      'run',
      '-d',
      '--name',
      'fixed',
      '--network',
      'nip',
      '--ip',
      `${net}.50`,
      ref,
      'sleep',
      '600',
    ]);
    expect(await ipOn('fixed', 'nip')).toBe(`${net}.50`);
    expect((await sh('fixed', 'ip -o -4 addr show dev eth0')).stdout).toContain(` ${net}.50/24`);
    await ok(d, ['rm', '-f', 'fixed']);
    await ok(d, ['network', 'rm', 'nip']);
    const r = await d.docker([
      'run',
      '-d',
      '--name',
      'badip',
      '--ip',
      `${gw.replace(/\.1$/, '.77')}`,
      ref,
      'sleep',
      '1',
    ]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('user specified IP address is supported on user defined networks only');
    await d.docker(['rm', '-f', 'badip']);
  });
});

describe('across the container lifecycle', () => {
  it('stop releases the port and the address, start takes them again; restart keeps serving', async () => {
    const p = await freePort();
    await ok(d, [
      'run',
      '-d',
      '--name',
      'cyc',
      '--network',
      'n1',
      '-p',
      `127.0.0.1:${p}:80`,
      ref,
      ...httpdCmd('cyc'),
    ]);
    await curlUntil(`http://127.0.0.1:${p}/`, 'cyc\n');
    await ok(d, ['stop', '-t', '1', 'cyc']);
    // When stop returns the port is free (dockerd releases the network before it reports the exit).
    await ok(d, ['run', '-d', '--name', 'cyc2', '-p', `127.0.0.1:${p}:80`, ref, ...httpdCmd('cyc2')]);
    expect(await lookup('aa', 'cyc')).toEqual([]);
    await curlUntil(`http://127.0.0.1:${p}/`, 'cyc2\n');
    await ok(d, ['rm', '-f', 'cyc2']);
    expect((await curl(`http://127.0.0.1:${p}/`, 1)).code).not.toBe(0);
    await ok(d, ['start', 'cyc']);
    await curlUntil(`http://127.0.0.1:${p}/`, 'cyc\n');
    expect(await lookup('aa', 'cyc')).toEqual([await ipOn('cyc', 'n1')]);
    await ok(d, ['restart', '-t', '1', 'cyc']);
    await curlUntil(`http://127.0.0.1:${p}/`, 'cyc\n');
    expect(await lookup('aa', 'cyc')).toEqual([await ipOn('cyc', 'n1')]);
    expect(await ok(d, ['port', 'cyc'])).toBe(`80/tcp -> 127.0.0.1:${p}`);
    await ok(d, ['rm', '-f', 'cyc']);
    // As compose recreates a service: stop the old container, start the new one on its port at once.
    await ok(d, ['run', '-d', '--name', 'old', '-p', `127.0.0.1:${p}:80`, ref, 'sleep', '600']);
    await ok(d, ['create', '--name', 'new', '-p', `127.0.0.1:${p}:80`, ref, ...httpdCmd('new')]);
    expect((await d.request('POST', '/containers/old/stop?t=0')).status).toBe(204);
    const started = await d.request('POST', '/containers/new/start');
    expect(started.body).toBe('');
    expect(started.status).toBe(204);
    await curlUntil(`http://127.0.0.1:${p}/`, 'new\n');
    await ok(d, ['rm', '-f', 'old', 'new']);
    // run --rm: the port goes with the container.
    const r = await d.docker(['run', '--rm', '-p', `127.0.0.1:${p}:80`, ref, 'true']);
    expect(r.code).toBe(0);
    await ok(d, ['run', '-d', '--name', 'cyc3', '-p', `127.0.0.1:${p}:80`, ref, 'sleep', '60']);
    await ok(d, ['rm', '-f', 'cyc3']);
  });

  it('--restart always: a container whose process dies comes back with its port, address and name', async () => {
    const p = await freePort();
    const args = ['--restart', 'always', '--network', 'n1', '-p', `127.0.0.1:${p}:80`];
    await ok(d, ['run', '-d', '--name', 'phoenix', ...args, ref, ...httpdCmd('phoenix')]);
    await curlUntil(`http://127.0.0.1:${p}/`, 'phoenix\n');
    const ip = await ipOn('phoenix', 'n1');
    const pid = Number(await ok(d, ['inspect', '-f', '{{.State.Pid}}', 'phoenix']));
    process.kill(pid, 'SIGKILL');
    await until(async () => {
      const [running, now] = (
        await ok(d, ['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', 'phoenix'])
      ).split(' ');
      return running === 'true' && Number(now) !== pid && Number(now) > 0;
    }, 15_000);
    await curlUntil(`http://127.0.0.1:${p}/`, 'phoenix\n');
    expect(await ipOn('phoenix', 'n1')).toBe(ip);
    expect(await lookup('aa', 'phoenix')).toEqual([ip]);
    expect(await ok(d, ['inspect', '-f', '{{.RestartCount}}', 'phoenix'])).toBe('1');
    await ok(d, ['rm', '-f', 'phoenix']);
  });

  it('two networks: one hosts line per address; PTR; a default-bridge container switches to 127.0.0.11 on connect', async () => {
    await ok(d, ['run', '-d', '--name', 'duo', '--network', 'n1', ref, 'sleep', '600']);
    await ok(d, ['network', 'connect', 'n2', 'duo']);
    const id = await shortId('duo');
    const hosts = (await sh('duo', 'cat /etc/hosts')).stdout;
    expect(hosts).toContain(`${await ipOn('duo', 'n1')}\t${id}`);
    expect(hosts).toContain(`${await ipOn('duo', 'n2')}\t${id}`);
    const ip = await ipOn('aa', 'n1');
    const ptr = await d.docker(['exec', 'bb', 'nslookup', ip], { timeoutMs: 20_000 });
    expect(ptr.stdout).toMatch(new RegExp(`name = aa\\.n1`));
    await ok(d, ['rm', '-f', 'duo']);

    await ok(d, ['run', '-d', '--name', 'legacy', ref, 'sleep', '600']);
    expect((await sh('legacy', 'cat /etc/resolv.conf')).stdout).not.toContain('127.0.0.11');
    await ok(d, ['network', 'connect', 'n1', 'legacy']);
    expect((await sh('legacy', 'cat /etc/resolv.conf')).stdout).toContain('nameserver 127.0.0.11');
    expect(await lookup('legacy', 'aa')).toEqual([ip]);
    expect(await lookup('aa', 'legacy')).toEqual([await ipOn('legacy', 'n1')]);
    await ok(d, ['rm', '-f', 'legacy']);
  });

  it('--network container: shares the sandbox and its DNS; host and none keep working', async () => {
    await ok(d, ['run', '-d', '--name', 'side', '--network', 'container:aa', ref, 'sleep', '600']);
    expect(await lookup('side', 'bb')).toEqual([await ipOn('bb', 'n1')]);
    expect((await sh('side', 'ip -o -4 addr show dev eth0')).stdout).toContain(` ${await ipOn('aa', 'n1')}/`);
    await ok(d, ['rm', '-f', 'side']);
    const none = await d.docker(['run', '--rm', '--network', 'none', ref, 'sh', '-c', 'ls /sys/class/net']);
    expect(none.stdout.split(/\s+/).filter(Boolean)).toEqual(['lo']);
    const host = await d.docker(['run', '--rm', '--network', 'host', ref, 'sh', '-c', 'ls /sys/class/net']);
    expect(host.stdout).toContain(d.bridge);
  });
});

describe('network commands and events', () => {
  let events: ChildProcess | undefined;
  let eventsOut = '';

  afterAll(() => {
    events?.kill('SIGKILL');
  });

  it('network rm with an active endpoint is refused with 403 and dockerd text', async () => {
    const id = await ok(d, ['network', 'inspect', '-f', '{{.Id}}', 'n1']);
    const r = await d.docker(['network', 'rm', 'n1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error while removing network: network n1 id ${id} has active endpoints`);
    const raw = await d.request('DELETE', '/networks/n1');
    expect(raw.status).toBe(403);
    expect(JSON.parse(raw.body)).toEqual({
      message: `error while removing network: network n1 id ${id} has active endpoints`,
    });
  });

  it('dockerd texts for a duplicate network, a second connect and a disconnect of a stranger', async () => {
    const dup = await d.request(
      'POST',
      '/networks/create',
      JSON.stringify({ Name: 'n1', CheckDuplicate: true }),
      {
        'Content-Type': 'application/json',
      },
    );
    expect(dup.status).toBe(409);
    expect(JSON.parse(dup.body)).toEqual({ message: 'network with name n1 already exists' });
    const again = await d.docker(['network', 'connect', 'n1', 'aa']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('endpoint with name aa already exists in network n1');
    const aId = await ok(d, ['inspect', '-f', '{{.Id}}', 'aa']);
    const stranger = await d.docker(['network', 'disconnect', 'n2', 'aa']);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain(`container ${aId} is not connected to network n2`);
    const missing = await d.docker(['network', 'inspect', 'nosuchnet']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('network nosuchnet not found');
  });

  it('the default bridge shows the daemon options; no DNS socket listens on a host address', async () => {
    const opts = JSON.parse(
      await ok(d, ['network', 'inspect', '-f', '{{json .Options}}', 'bridge']),
    ) as Record<string, string>;
    expect(opts['com.docker.network.bridge.name']).toBe(d.bridge);
    expect(opts['com.docker.network.bridge.default_bridge']).toBe('true');
    const cfg = JSON.parse(
      await ok(d, ['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'bridge']),
    ) as unknown;
    expect(cfg).toEqual([{ Subnet: d.bip.replace(/\.1\//, '.0/'), Gateway: gw }]);
    const udp = await run('ss', ['-Hlnu']);
    const tcp = await run('ss', ['-Hlnt']);
    expect(`${udp.stdout}${tcp.stdout}`).not.toContain('127.0.0.11:');
  });

  it('network inspect lists the running containers with their addresses', async () => {
    type Entry = { Name: string; IPv4Address: string; MacAddress: string; EndpointID: string };
    const ctrs = JSON.parse(
      await ok(d, ['network', 'inspect', '-f', '{{json .Containers}}', 'n1']),
    ) as Record<string, Entry>;
    const aId = await ok(d, ['inspect', '-f', '{{.Id}}', 'aa']);
    expect(
      Object.values(ctrs)
        .map((c) => c.Name)
        .sort(),
    ).toEqual(['aa', 'bb']);
    expect(ctrs[aId].IPv4Address).toBe(`${await ipOn('aa', 'n1')}/24`);
    expect(ctrs[aId].EndpointID).toMatch(/^[0-9a-f]{64}$/);
    // A created container is not listed; the list view always has Containers {}.
    await ok(d, ['create', '--name', 'idle', '--network', 'n1', ref, 'true']);
    const names = JSON.parse(
      await ok(d, ['network', 'inspect', '-f', '{{json .Containers}}', 'n1']),
    ) as Record<string, Entry>;
    expect(Object.values(names).map((c) => c.Name)).not.toContain('idle');
    await ok(d, ['rm', 'idle']);
    const list = await d.request('GET', '/networks?filters={"name":{"n1":true}}');
    expect((JSON.parse(list.body) as { Containers: unknown }[])[0].Containers).toEqual({});
  });

  it('network ls filters by name, label, driver and type', async () => {
    await ok(d, ['network', 'create', '--label', 'team=blue', 'lsblue']);
    const ls = async (...f: string[]) =>
      (await ok(d, ['network', 'ls', ...f.flatMap((x) => ['--filter', x]), '--format', '{{.Name}}']))
        .split('\n')
        .filter(Boolean)
        .sort();
    expect(await ls('name=lsblue')).toEqual(['lsblue']);
    expect(await ls('label=team=blue')).toEqual(['lsblue']);
    expect(await ls('label=team')).toEqual(['lsblue']);
    expect(await ls('type=builtin')).toEqual(['bridge', 'host', 'none']);
    expect(await ls('type=custom')).toEqual(['lsblue', 'n1', 'n2']);
    expect(await ls('driver=host')).toEqual(['host']);
    expect(await ls('driver=bridge', 'name=n')).toEqual(['n1', 'n2']);
    expect(await ls('dangling=true')).toEqual(['lsblue', 'n2']);
    const id = await ok(d, ['network', 'inspect', '-f', '{{.Id}}', 'lsblue']);
    expect(await ls(`id=${id.slice(0, 10)}`)).toEqual(['lsblue']);
  });

  it('network prune removes the unused user networks only', async () => {
    const r = await ok(d, ['network', 'prune', '-f']);
    const lines = r.split('\n');
    expect(lines[0]).toBe('Deleted Networks:');
    expect(lines.slice(1).sort()).toEqual(['lsblue', 'n2']);
    const names = (await ok(d, ['network', 'ls', '--format', '{{.Name}}'])).split('\n').sort();
    expect(names).toEqual(['bridge', 'host', 'n1', 'none']);
    expect(await ok(d, ['network', 'prune', '-f'])).toBe('');
  });

  it('docker events shows create, connect, disconnect and destroy', async () => {
    events = spawn('docker', ['events', '--filter', 'type=network', '--format', '{{json .}}'], {
      env: { ...process.env, ...d.env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    events.stdout!.on('data', (b: Buffer) => (eventsOut += b.toString()));
    await new Promise((r) => setTimeout(r, 500));
    const netId = await ok(d, ['network', 'create', 'evnet']);
    await ok(d, ['run', '-d', '--name', 'ev1', '--network', 'evnet', ref, 'sleep', '600']);
    const ctrId = await ok(d, ['inspect', '-f', '{{.Id}}', 'ev1']);
    await ok(d, ['network', 'connect', 'evnet', 'bb']);
    await ok(d, ['network', 'disconnect', 'evnet', 'bb']);
    // A created container: connect and disconnect only edit its config; dockerd logs the disconnect.
    await ok(d, ['create', '--name', 'ev2', ref, 'true']);
    const ev2Id = await ok(d, ['inspect', '-f', '{{.Id}}', 'ev2']);
    await ok(d, ['network', 'connect', 'evnet', 'ev2']);
    await ok(d, ['network', 'disconnect', 'evnet', 'ev2']);
    await ok(d, ['rm', '-f', 'ev1', 'ev2']);
    await ok(d, ['network', 'rm', 'evnet']);
    const bbId = await ok(d, ['inspect', '-f', '{{.Id}}', 'bb']);
    type Ev = { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } };
    const mine = () =>
      eventsOut
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Ev)
        .filter((e) => e.Actor.ID === netId);
    await until(() => mine().some((e) => e.Action === 'destroy'), 5000);
    const seen = mine().map((e) => `${e.Action} ${e.Actor.Attributes.container ?? '-'}`);
    expect(seen).toEqual([
      'create -',
      `connect ${ctrId}`,
      `connect ${bbId}`,
      // dockerd 20.10: two for a running container's disconnect, one for a created one's, one at rm -f.
      `disconnect ${bbId}`,
      `disconnect ${bbId}`,
      `disconnect ${ev2Id}`,
      `disconnect ${ctrId}`,
      'destroy -',
    ]);
    for (const e of mine()) {
      expect(e.Type).toBe('network');
      expect(e.Actor.Attributes.name).toBe('evnet');
      expect(e.Actor.Attributes.type).toBe('bridge');
    }
  });
});

describe('event order at an exit', () => {
  it('the network disconnect comes before the container die, as dockerd releases the network first', async () => {
    let out = '';
    const ev = spawn(
      'docker',
      ['events', '--filter', 'type=network', '--filter', 'type=container', '--format', '{{json .}}'],
      { env: { ...process.env, ...d.env }, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      ev.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      await new Promise((r) => setTimeout(r, 500));
      await ok(d, ['run', '-d', '--name', 'order', '--network', 'n1', ref, 'sleep', '600']);
      const id = await ok(d, ['inspect', '-f', '{{.Id}}', 'order']);
      await ok(d, ['stop', '-t', '0', 'order']);
      type Ev = { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } };
      const mine = () =>
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Ev)
          .filter((e) => e.Actor.ID === id || e.Actor.Attributes.container === id)
          .map((e) => `${e.Type} ${e.Action}`);
      await until(() => mine().includes('container stop'), 5000);
      const seen = mine();
      expect(seen.indexOf('network disconnect')).toBeGreaterThan(-1);
      expect(seen.indexOf('network disconnect')).toBeLessThan(seen.indexOf('container die'));
      await ok(d, ['rm', '-f', 'order']);
    } finally {
      ev.kill('SIGKILL');
    }
  });
});

describe('bridges on the host', () => {
  it('a user network gets its own br-<id> bridge, removed with the network', async () => {
    await ok(d, ['network', 'create', 'brn']);
    const br = await bridgeOf(d, 'brn');
    expect(await ok(d, ['network', 'inspect', '-f', '{{.Driver}}', 'brn'])).toBe('bridge');
    expect((await run('ip', ['link', 'show', br])).code).toBe(0);
    await ok(d, ['network', 'rm', 'brn']);
    expect((await run('ip', ['link', 'show', br])).code).not.toBe(0);
  });
});
