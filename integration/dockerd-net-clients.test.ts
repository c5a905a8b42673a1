// Docker networking through the client libraries: docker-py (python3-docker, a script under clients/)
// and dockerode (npm). Networks with labels, options and IPAM, duplicate names, list filters,
// connect with aliases to created and running containers, names resolved from another container,
// disconnect, removal (refused while in use), and published ports as each library reads them back.
import { randomBytes, randomInt } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, type Dockerd, dockerFixture } from './dockerd-harness.js';
import { freeLoopbackPorts } from './free-port.js';
import { REPO, run } from './harness.js';

interface NetworkEvent {
  Type: string;
  Action: string;
  scope: string;
  Actor: { ID: string; Attributes: Record<string, string> };
}

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

/** GET on the host's loopback: the body, or the error's code; a refused connection (httpd not
 * listening yet right after start) is tried again for 5 s. */
async function fetchText(url: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 50; i++) {
    last = await fetchOnce(url);
    if (last !== 'ECONNREFUSED') return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

function fetchOnce(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

// Debian's python3-docker (5.0.3, the one docker-compose runs on) and the python3 on PATH (its own
// docker-py, 7.x here).
describe.each(['/usr/bin/python3', 'python3'])('docker-py networking (%s)', (python) => {
  it('creates, lists, connects, resolves, disconnects, removes, and publishes a port', async () => {
    const port = await freeLoopbackPorts();
    const tag = randomBytes(2).toString('hex');
    const octet = String(randomInt(16, 250));
    const r = await run(
      python,
      [path.join(REPO, 'integration/clients/dockerpy_network.py'), ref, String(port), octet, tag],
      { env: d.env, timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      "create True bridge local {'team': 'py'} {'com.docker.network.bridge.enable_icc': 'true'}",
      'ipam default True',
      'duplicate 409 True',
      'list-label [True]',
      'list-label-kv [True]',
      'list-custom [True]',
      "list-names ['NET', 'bridge']",
      'list-id [True]',
      'get True True',
      `connect-created ['bridge', 'pynet${tag}'] ['alpha']`,
      `started-ep True True True 172.31.${octet}.254 24 True`,
      'before-connect True',
      "connect-running ['NET', 'bridge']",
      "by-alias (0, 'py-page')",
      "by-name (0, 'py-page')",
      'nslookup 0 True',
      "net-containers ['pycli', 'pysrv']",
      'remove-in-use 403 True',
      "disconnected ['bridge']",
      'after-disconnect True',
      'disconnect-again 500',
      'removed True',
      "static-connect True True (0, '1')",
      'static-create True',
      'static-dns 0 True',
      'dup-ip 403 Address already in use',
      'prune True',
      'ports True',
      'api-port True',
      'list-ports True',
      'fetch published',
      'after-remove refused',
    ]);
  });
});

describe('dockerode networking', () => {
  let docker: Docker;
  const tag = randomBytes(2).toString('hex');
  const name = `odenet${tag}`;
  const octet = randomInt(16, 250);
  const subnet = `172.31.${octet}.0/24`;
  const made: Docker.Container[] = [];

  beforeAll(() => {
    docker = new Docker({ socketPath: d.socket });
  });

  afterAll(async () => {
    for (const c of made) await c.remove({ force: true }).catch(() => undefined);
    await docker
      .getNetwork(name)
      .remove()
      .catch(() => undefined);
  });

  async function exec(c: Docker.Container, cmd: string): Promise<{ code: number; out: string }> {
    const ex = await c.exec({ Cmd: ['sh', '-c', cmd], AttachStdout: true, AttachStderr: true });
    const stream = await ex.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (b: Buffer) => chunks.push(b));
    docker.modem.demuxStream(stream, out, out);
    await new Promise((resolve) => stream.on('end', resolve));
    const info = await ex.inspect();
    return { code: info.ExitCode ?? -1, out: Buffer.concat(chunks).toString().trim() };
  }

  async function container(opts: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    const c = await docker.createContainer({ Image: ref, ...opts });
    made.push(c);
    return c;
  }

  it('createNetwork with labels, options and IPAM; a duplicate name is a 409; listNetworks filters', async () => {
    const net = await docker.createNetwork({
      Name: name,
      CheckDuplicate: true,
      Driver: 'bridge',
      Labels: { team: 'ode' },
      Options: { 'com.docker.network.bridge.enable_icc': 'true' },
      IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: `172.31.${octet}.1` }] },
    });
    expect(net.id).toMatch(/^[0-9a-f]{64}$/);
    const info = (await net.inspect()) as Docker.NetworkInspectInfo;
    expect(info).toMatchObject({
      Name: name,
      Id: net.id,
      Driver: 'bridge',
      Scope: 'local',
      Internal: false,
      Attachable: false,
      Labels: { team: 'ode' },
      Options: { 'com.docker.network.bridge.enable_icc': 'true' },
      IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: subnet, Gateway: `172.31.${octet}.1` }] },
      Containers: {},
    });
    await expect(docker.createNetwork({ Name: name, CheckDuplicate: true })).rejects.toMatchObject({
      statusCode: 409,
      json: { message: `network with name ${name} already exists` },
    });
    const names = async (filters: Record<string, string[]>) =>
      ((await docker.listNetworks({ filters })) as Docker.NetworkInspectInfo[]).map((n) => n.Name).sort();
    expect(await names({ label: ['team=ode'] })).toEqual([name]);
    expect(await names({ label: ['team'] })).toEqual([name]);
    expect(await names({ name: [name] })).toEqual([name]);
    expect(await names({ id: [net.id.slice(0, 10)] })).toEqual([name]);
    expect(await names({ type: ['custom'] })).toEqual([name]);
    expect(await names({ driver: ['bridge'] })).toEqual(['bridge', name].sort());
    expect(await names({ type: ['builtin'] })).toEqual(['bridge', 'host', 'none']);
    // The list leaves Containers empty, as dockerd does.
    const listed = (await docker.listNetworks({ filters: { name: [name] } })) as Docker.NetworkInspectInfo[];
    expect(listed[0].Containers).toEqual({});
  });

  it('connects created and running containers with aliases; names resolve; disconnect; remove', async () => {
    const net = docker.getNetwork(name);
    // Network events, as a dockerode user follows them.
    const events: NetworkEvent[] = [];
    const evStream = (await docker.getEvents({ filters: { type: ['network'] } })) as Readable;
    let pending = '';
    evStream.on('data', (b: Buffer) => {
      const lines = (pending + b.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) events.push(JSON.parse(l) as NetworkEvent);
    });
    // Created on the network with an alias, through NetworkingConfig.
    const srv = await container({
      name: `odesrv${tag}`,
      Cmd: ['sh', '-c', 'mkdir /w; echo ode-page > /w/index.html; exec httpd -f -p 80 -h /w'],
      HostConfig: { NetworkMode: name },
      NetworkingConfig: { EndpointsConfig: { [name]: { Aliases: ['web-alias'] } } },
    });
    // Created on the default bridge, connected before it starts.
    const late = await container({ name: `odelate${tag}`, Cmd: ['sleep', '120'] });
    await net.connect({ Container: late.id, EndpointConfig: { Aliases: ['late-alias'] } });
    let li = await late.inspect();
    expect(Object.keys(li.NetworkSettings.Networks).sort()).toEqual(['bridge', name].sort());
    expect(li.NetworkSettings.Networks[name]).toMatchObject({ Aliases: ['late-alias'], IPAddress: '' });
    const netId = ((await net.inspect()) as Docker.NetworkInspectInfo).Id;
    await srv.start();
    await late.start();
    li = await late.inspect();
    const lateEp = li.NetworkSettings.Networks[name];
    expect(lateEp.IPAddress).toMatch(new RegExp(`^172\\.31\\.${octet}\\.\\d+$`));
    expect(lateEp.Aliases).toEqual(['late-alias', late.id.slice(0, 12)]);
    expect(lateEp.NetworkID).toBe(netId);
    // The default bridge stays its first network: the top-level address is the bridge's.
    expect((li.NetworkSettings as unknown as { IPAddress: string }).IPAddress).toBe(
      li.NetworkSettings.Networks.bridge.IPAddress,
    );

    expect(await exec(late, 'wget -qO- http://web-alias/')).toEqual({ code: 0, out: 'ode-page' });
    expect(await exec(late, `wget -qO- http://odesrv${tag}/`)).toEqual({ code: 0, out: 'ode-page' });

    // A running container on the default bridge only: connected now, it resolves and is resolved.
    const run1 = await container({ name: `oderun${tag}`, Cmd: ['sleep', '120'] });
    await run1.start();
    expect((await exec(run1, 'wget -qO- -T 2 http://web-alias/')).code).not.toBe(0);
    await net.connect({ Container: run1.id, EndpointConfig: { Aliases: ['runner'] } });
    expect(await exec(run1, 'wget -qO- http://web-alias/')).toEqual({ code: 0, out: 'ode-page' });
    const runIp = (await run1.inspect()).NetworkSettings.Networks[name].IPAddress;
    const ns = await exec(srv, 'nslookup runner');
    expect(ns.code).toBe(0);
    expect(ns.out).toContain(`Address: ${runIp}`);
    // Connecting twice is refused with dockerd's text.
    await expect(net.connect({ Container: run1.id })).rejects.toMatchObject({
      statusCode: 403,
      json: { message: `endpoint with name oderun${tag} already exists in network ${name}` },
    });

    const ni = (await net.inspect()) as Docker.NetworkInspectInfo;
    const members = Object.entries(ni.Containers ?? {}).map(([id, c]) => [id, c.Name, c.IPv4Address]);
    expect(members.map(([, n]) => n).sort()).toEqual([`odelate${tag}`, `oderun${tag}`, `odesrv${tag}`]);
    for (const [, , ip] of members) expect(ip).toMatch(new RegExp(`^172\\.31\\.${octet}\\.\\d+/24$`));

    await net.disconnect({ Container: run1.id });
    const ri = await run1.inspect();
    expect(Object.keys(ri.NetworkSettings.Networks)).toEqual(['bridge']);
    expect((await exec(run1, 'wget -qO- -T 2 http://web-alias/')).code).not.toBe(0);
    await expect(net.disconnect({ Container: run1.id })).rejects.toMatchObject({
      statusCode: 500,
      json: { message: `container ${run1.id} is not connected to network ${name}` },
    });

    await expect(net.remove()).rejects.toMatchObject({
      statusCode: 403,
      json: {
        message: expect.stringMatching(/^error while removing network: network .* has active endpoints$/),
      },
    });
    for (const c of made.splice(0)) await c.remove({ force: true });
    await net.remove();
    await expect(net.inspect()).rejects.toMatchObject({ statusCode: 404 });

    const deadline = Date.now() + 5000;
    while (!events.some((e) => e.Action === 'destroy') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    evStream.destroy();
    const ours = events.filter((e) => e.Actor.Attributes.name === name);
    for (const e of ours) expect(e).toMatchObject({ Type: 'network', scope: 'local', Actor: { ID: netId } });
    const actionsOf = (id: string) =>
      ours.filter((e) => e.Actor.Attributes.container === id).map((e) => e.Action);
    // rm -f of a running container disconnects it too.
    for (const c of [srv, late]) expect(actionsOf(c.id)).toEqual(['connect', 'disconnect']);
    // An explicit disconnect of a running container: dockerd 20.10 logs two (the endpoint's leave and
    // the request's), as the capture events-network.jsonl shows.
    expect(actionsOf(run1.id)).toEqual(['connect', 'disconnect', 'disconnect']);
    expect(ours.map((e) => e.Action).pop()).toBe('destroy');
    expect(ours.at(-1)?.Actor.Attributes).toEqual({ name, type: 'bridge' });
  });

  it('publishes a port with PortBindings; inspect and listContainers show it; a second taker is refused', async () => {
    const port = await freeLoopbackPorts();
    const web = await container({
      name: `odeweb${tag}`,
      Cmd: ['sh', '-c', 'mkdir /w; echo ode-published > /w/index.html; exec httpd -f -p 80 -h /w'],
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    });
    await web.start();
    const info = await web.inspect();
    expect(info.NetworkSettings.Ports).toEqual({
      '53/udp': null,
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }],
    });
    expect(info.HostConfig.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }],
    });
    const list = await docker.listContainers({ filters: { name: [`odeweb${tag}`] } });
    expect(list).toHaveLength(1);
    expect(list[0].Ports).toEqual(
      expect.arrayContaining([
        { IP: '127.0.0.1', PrivatePort: 80, PublicPort: port, Type: 'tcp' },
        { PrivatePort: 53, Type: 'udp' },
      ]),
    );
    expect(list[0].Ports).toHaveLength(2);
    expect(list[0].HostConfig.NetworkMode).toBe('default');
    expect(Object.keys(list[0].NetworkSettings.Networks)).toEqual(['bridge']);
    expect(await fetchText(`http://127.0.0.1:${port}/`)).toBe('ode-published\n');

    const clash = await container({
      name: `odeclash${tag}`,
      Cmd: ['sleep', '60'],
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    });
    const err = (await clash.start().catch((e: unknown) => e)) as {
      statusCode: number;
      json: { message: string };
    };
    expect(err.statusCode).toBe(500);
    expect(err.json.message).toMatch(
      new RegExp(
        `^driver failed programming external connectivity on endpoint odeclash${tag} \\([0-9a-f]{64}\\): Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated$`,
      ),
    );
    const ci = await clash.inspect();
    expect(ci.State).toMatchObject({
      Status: 'created',
      Running: false,
      ExitCode: 128,
      Error: err.json.message,
    });
    // The first still serves, and again after a restart (the old sandbox is gone before the new one).
    expect(await fetchText(`http://127.0.0.1:${port}/`)).toBe('ode-published\n');
    await web.restart({ t: 1 });
    expect((await web.inspect()).State.Running).toBe(true);
    expect(await fetchText(`http://127.0.0.1:${port}/`)).toBe('ode-published\n');
  });
});
