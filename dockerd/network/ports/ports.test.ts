// Port bindings: parsing and validation (pure), the port table with real held sockets on 127.0.0.1
// (conflicts with Docker's texts), and the API views.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { portRequests, validatePortBindings } from './parse.js';
import { PortTable, localPortRange } from './table.js';
import { listPorts, networkSettingsPorts } from './view.js';

const target = { bridge: 'br-test', containerIp: '10.199.0.2' };

/** A free port on 127.0.0.1 (bound then released). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('portRequests', () => {
  it('parses the Engine API shapes, in dockerd order, with -P', () => {
    const reqs = portRequests(
      {
        '80/tcp': [{ HostIp: '', HostPort: '18082' }],
        '53/udp': [{ HostIp: '127.0.0.1', HostPort: '18083' }],
      },
      { '80/tcp': {}, '53/udp': {}, '8080/tcp': {} },
      true,
    );
    expect(reqs).toEqual([
      { containerPort: 8080, proto: 'tcp', hostIp: '', hostPortStart: 0, hostPortEnd: 0 },
      { containerPort: 80, proto: 'tcp', hostIp: '', hostPortStart: 18082, hostPortEnd: 18082 },
      { containerPort: 53, proto: 'udp', hostIp: '127.0.0.1', hostPortStart: 18083, hostPortEnd: 18083 },
    ]);
    expect(portRequests({ '80': [{ HostPort: '8000-8005' }] })).toEqual([
      { containerPort: 80, proto: 'tcp', hostIp: '', hostPortStart: 8000, hostPortEnd: 8005 },
    ]);
    expect(portRequests({ '80/tcp': [{ HostIp: '', HostPort: '' }] }, {}, false)[0].hostPortStart).toBe(0);
    // Exposed but not published, without -P: nothing to do.
    expect(portRequests(null, { '80/tcp': {} }, false)).toEqual([]);
  });

  it("refuses bad specifications with dockerd's text", () => {
    expect(() => validatePortBindings({ 'abc/tcp': [] })).toThrow('invalid port specification: "abc"');
    expect(() => validatePortBindings({ '80/tcp': [{ HostPort: 'x' }] })).toThrow(
      'invalid port specification: "x"',
    );
    expect(() => validatePortBindings({ '80/tcp': [{ HostPort: '9-8' }] })).toThrow(
      'invalid port specification: "9-8"',
    );
    expect(() => validatePortBindings({ '70000/tcp': [] })).toThrow('invalid port specification: "70000"');
  });
});

describe('PortTable', () => {
  const tables: PortTable[] = [];
  afterEach(() => {
    for (const t of tables.splice(0)) for (const o of t.owners()) t.release(o);
  });
  const table = (opts = {}) => {
    const t = new PortTable(opts);
    tables.push(t);
    return t;
  };

  it('holds the port, refuses a second container with "port is already allocated", frees on release', async () => {
    const t = table();
    const port = await freePort();
    const req = {
      containerPort: 80,
      proto: 'tcp' as const,
      hostIp: '127.0.0.1',
      hostPortStart: port,
      hostPortEnd: port,
    };
    expect(await t.allocate('c1', [req], target)).toEqual([
      { containerPort: 80, proto: 'tcp', hostIp: '127.0.0.1', hostPort: port },
    ]);
    // Held: nobody else can listen there.
    const other = net.createServer();
    await expect(
      new Promise((res, rej) => other.once('error', rej).listen(port, '127.0.0.1', () => res(0))),
    ).rejects.toThrow(/EADDRINUSE/);
    await expect(t.allocate('c2', [req], target)).rejects.toThrow(
      `Bind for 127.0.0.1:${port} failed: port is already allocated`,
    );
    expect(t.release('c1')).toHaveLength(1);
    await t.allocate('c2', [req], target);
  });

  it("reports another process's port with the bind error text, and rolls back the whole container", async () => {
    const t = table();
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as net.AddressInfo).port;
    const ok = await freePort();
    try {
      await expect(
        t.allocate(
          'c1',
          [
            { containerPort: 81, proto: 'tcp', hostIp: '127.0.0.1', hostPortStart: ok, hostPortEnd: ok },
            { containerPort: 80, proto: 'tcp', hostIp: '127.0.0.1', hostPortStart: port, hostPortEnd: port },
          ],
          target,
        ),
      ).rejects.toThrow(
        `Error starting userland proxy: listen tcp4 127.0.0.1:${port}: bind: address already in use`,
      );
      expect(t.list('c1')).toEqual([]);
    } finally {
      busy.close();
    }
  });

  it('publishes on 0.0.0.0 and :: when no HostIp is given; udp too; ephemeral from the low end', async () => {
    const t = table({ holdSockets: false, range: { low: 40100, high: 40102 } });
    const got = await t.allocate(
      'c1',
      [
        { containerPort: 8080, proto: 'tcp', hostIp: '', hostPortStart: 0, hostPortEnd: 0 },
        { containerPort: 53, proto: 'udp', hostIp: '127.0.0.1', hostPortStart: 0, hostPortEnd: 0 },
      ],
      target,
    );
    expect(got.map((p) => `${p.hostIp}:${p.hostPort}/${p.proto}`)).toEqual([
      '0.0.0.0:40100/tcp',
      ':::40100/tcp',
      '127.0.0.1:40100/udp',
    ]);
    // Round-robin, as dockerd's allocator: the next container gets the next port even after a release.
    t.release('c1');
    const next = await t.allocate(
      'c2',
      [{ containerPort: 80, proto: 'tcp', hostIp: '0.0.0.0', hostPortStart: 0, hostPortEnd: 0 }],
      target,
    );
    expect(next[0].hostPort).toBe(40101);
    expect(localPortRange().low).toBeGreaterThan(0);
  });

  it('holds udp ports with a bound socket', async () => {
    const t = table();
    const port = await freePort();
    const req = {
      containerPort: 53,
      proto: 'udp' as const,
      hostIp: '127.0.0.1',
      hostPortStart: port,
      hostPortEnd: port,
    };
    await t.allocate('c1', [req], target);
    const t2 = table();
    await expect(t2.allocate('c2', [req], target)).rejects.toThrow(
      `Error starting userland proxy: listen udp4 127.0.0.1:${port}: bind: address already in use`,
    );
  });
});

describe('views', () => {
  const published = [
    { containerPort: 80, proto: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 18082 },
    { containerPort: 80, proto: 'tcp' as const, hostIp: '::', hostPort: 18082 },
    { containerPort: 53, proto: 'udp' as const, hostIp: '127.0.0.1', hostPort: 18083 },
  ];
  it('NetworkSettings.Ports and the list entries', () => {
    expect(
      JSON.stringify(networkSettingsPorts({ '80/tcp': {}, '53/udp': {}, '8080/tcp': {} }, published)),
    ).toBe(
      '{"53/udp":[{"HostIp":"127.0.0.1","HostPort":"18083"}],"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"18082"},{"HostIp":"::","HostPort":"18082"}],"8080/tcp":null}',
    );
    expect(networkSettingsPorts(null, [])).toEqual({});
    expect(listPorts({ '8080/tcp': {} }, published)).toEqual([
      { IP: '127.0.0.1', PrivatePort: 53, PublicPort: 18083, Type: 'udp' },
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 18082, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 18082, Type: 'tcp' },
      { PrivatePort: 8080, Type: 'tcp' },
    ]);
  });
});
