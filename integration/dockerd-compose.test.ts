// docker-compose 1.29.2 (docker-py underneath) against tsctr-dockerd: a project's network, published
// port, DNS by service name, scaling, re-running `up` with nothing to do, and `down`. Compose checks the
// network's Options/IPAM/labels and each container's config-hash itself: any mismatch makes it
// recreate or refuse, so these are asserted through what compose prints and does.
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, type Dockerd, dockerFixture } from './dockerd-harness.js';
import { freeLoopbackPorts } from './free-port.js';
import { startCallLog } from './call-log-proxy.js';
import { type RunResult, run } from './harness.js';

let fx: DockerFixture;
let d: Dockerd;
let ref: string;
let dir: string;

beforeAll(async () => {
  fx = await dockerFixture();
  ({ d, ref } = fx);
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-compose-'));
}, 60_000);

afterAll(async () => {
  await fx?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A project directory with its compose file; `compose(...)` runs docker-compose on it. */
function project(name: string, yml: string): (args: string[]) => Promise<RunResult> {
  const p = path.join(dir, name);
  mkdirSync(p, { recursive: true });
  writeFileSync(path.join(p, 'docker-compose.yml'), yml);
  return (args) =>
    run(
      'docker-compose',
      ['--ansi', 'never', '-p', name, '-f', path.join(p, 'docker-compose.yml'), ...args],
      {
        env: d.env,
        timeoutMs: 60_000,
      },
    );
}

/** The page, tried again for a few seconds while nothing listens yet (httpd just started). */
async function fetchText(url: string, retry = true): Promise<string> {
  const again = retry ? ['--retry', '5', '--retry-connrefused', '--retry-delay', '1'] : [];
  const r = await run('curl', ['-s', '--max-time', '5', ...again, url]);
  return r.code === 0 ? r.stdout : `curl exit ${r.code}`;
}

async function inspect(ref: string): Promise<Record<string, unknown>> {
  const r = await d.docker(['inspect', ref]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Array<Record<string, unknown>>)[0];
}

async function projectIds(name: string): Promise<string[]> {
  const r = await d.docker([
    'ps',
    '-aq',
    '--no-trunc',
    '--filter',
    `label=com.docker.compose.project=${name}`,
  ]);
  return r.stdout.trim().split('\n').filter(Boolean).sort();
}

interface Endpoint {
  IPAddress: string;
  Aliases: string[] | null;
  NetworkID: string;
}
const endpoints = (c: Record<string, unknown>) =>
  (c.NetworkSettings as { Networks: Record<string, Endpoint> }).Networks;

describe('docker-compose 1.29.2', () => {
  const tag = randomBytes(2).toString('hex');
  const name = `cp${tag}`;
  let port = 0;
  let compose: (args: string[]) => Promise<RunResult>;
  const yml = (ports: string) => `version: "3.7"
services:
  web:
    image: ${ref}
    command: httpd -f -p 80 -h /www
    volumes:
      - ./www:/www:ro
    ports:
      - "${ports}"
  client:
    image: ${ref}
    command: sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://web/ && break; sleep 0.3; done; echo client-done'
    depends_on:
      - web
`;

  beforeAll(async () => {
    port = await freeLoopbackPorts(2);
    compose = project(name, yml(`127.0.0.1:${port}:80`));
    mkdirSync(path.join(dir, name, 'www'));
    writeFileSync(path.join(dir, name, 'www', 'index.html'), 'hello-from-web\n');
  });

  afterAll(async () => {
    await compose?.(['down', '-t', '1']);
  });

  it('up -d: creates the project network, starts web with its port, then client reaches web by name', async () => {
    const up = await compose(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`Creating network "${name}_default" with the default driver`);
    expect(up.stderr).toContain(`Creating ${name}_web_1 ... done`);
    expect(up.stderr).toContain(`Creating ${name}_client_1 ... done`);
    expect((await d.docker(['wait', `${name}_client_1`])).stdout.trim()).toBe('0');

    const ps = await compose(['ps']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toMatch(
      new RegExp(`^${name}_web_1 +httpd -f -p 80 -h /www +Up +127\\.0\\.0\\.1:${port}->80/tcp`, 'm'),
    );
    expect(ps.stdout).toMatch(new RegExp(`^${name}_client_1 +sh -c .* +Exit 0 *$`, 'm'));

    const logs = await compose(['logs', '--no-color', 'client']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^client_1 +\| hello-from-web$/m);
    expect(logs.stdout).toMatch(/^client_1 +\| client-done$/m);

    expect(await fetchText(`http://127.0.0.1:${port}/`)).toBe('hello-from-web\n');

    // What compose itself reads back: the network's labels and options, the endpoint's aliases.
    const net = JSON.parse((await d.docker(['network', 'inspect', `${name}_default`])).stdout) as Array<{
      Id: string;
      Driver: string;
      Attachable: boolean;
      Options: Record<string, string>;
      IPAM: { Driver: string; Options: unknown; Config: Array<{ Subnet: string; Gateway: string }> };
      Labels: Record<string, string>;
      Containers: Record<string, { Name: string }>;
    }>;
    expect(net[0]).toMatchObject({
      Driver: 'bridge',
      Attachable: true,
      Options: {},
      IPAM: { Driver: 'default', Options: null },
      Labels: {
        'com.docker.compose.network': 'default',
        'com.docker.compose.project': name,
        'com.docker.compose.version': '1.29.2',
      },
    });
    expect(net[0].IPAM.Config).toEqual([
      { Subnet: expect.stringMatching(/^10\.199\.\d+\.0\/24$/), Gateway: expect.stringMatching(/\.1$/) },
    ]);
    // Only running containers have an endpoint.
    expect(Object.values(net[0].Containers).map((c) => c.Name)).toEqual([`${name}_web_1`]);
    const web = await inspect(`${name}_web_1`);
    const ep = endpoints(web)[`${name}_default`];
    expect(ep.NetworkID).toBe(net[0].Id);
    expect([...(ep.Aliases ?? [])].sort()).toEqual([String(web.Id).slice(0, 12), 'web'].sort());
    expect((web.NetworkSettings as { Ports: unknown }).Ports).toEqual({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }],
    });
  });

  it('port, run --rm by service name, and stop/start/restart that publish and resolve again', async () => {
    const pt = await compose(['port', 'web', '80']);
    expect(pt).toMatchObject({ code: 0, stdout: `127.0.0.1:${port}\n` });
    // One-off run: compose creates <project>_client_run_<slug> and drives the docker CLI to attach.
    const one = await compose(['run', '--rm', '-T', 'client', 'wget', '-qO-', 'http://web/']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe('hello-from-web\n');
    expect(await projectIds(name)).toHaveLength(2);

    const stop = await compose(['stop', '-t', '1', 'web']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await fetchText(`http://127.0.0.1:${port}/`, false)).toMatch(/^curl exit/);
    // --no-deps: run would start web first otherwise.
    const dead = await compose(['run', '--rm', '-T', '--no-deps', 'client', 'nslookup', 'web']);
    expect(dead.code).not.toBe(0);
    expect(dead.stdout).toContain("server can't find web");
    const start = await compose(['start', 'web']);
    expect(start.code, start.stderr).toBe(0);
    expect(await fetchText(`http://127.0.0.1:${port}/`)).toBe('hello-from-web\n');
    const restart = await compose(['restart', '-t', '1', 'web']);
    expect(restart.code, restart.stderr).toBe(0);
    expect(await fetchText(`http://127.0.0.1:${port}/`)).toBe('hello-from-web\n');
    const again = await compose(['run', '--rm', '-T', 'client', 'wget', '-qO-', 'http://web/']);
    expect(again).toMatchObject({ code: 0, stdout: 'hello-from-web\n' });
  });

  it('a second up -d finds everything up-to-date and recreates nothing', async () => {
    const before = await projectIds(name);
    const up = await compose(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`${name}_web_1 is up-to-date`);
    expect(up.stderr).not.toMatch(/Recreating|Creating/);
    expect(await projectIds(name)).toEqual(before);
  });

  it('--scale web=2 on a fixed host port fails as with dockerd: the port is already allocated', async () => {
    const up = await compose(['up', '-d', '--scale', 'web=2']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(
      new RegExp(
        `ERROR: for ${name}_web_2 +Cannot start service web: driver failed programming external connectivity on endpoint ${name}_web_2 \\([0-9a-f]{64}\\): Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated`,
      ),
    );
    const ps = await compose(['ps']);
    expect(ps.stdout).toMatch(new RegExp(`^${name}_web_2 +.* Exit 128 *$`, 'm'));
    // The first web still serves.
    expect(await fetchText(`http://127.0.0.1:${port}/`)).toBe('hello-from-web\n');
  });

  it('--scale web=2 on a port range: both webs answer for the name web, each on its port', async () => {
    compose = project(name, yml(`127.0.0.1:${port}-${port + 1}:80`));
    // The changed file recreates web_1 (httpd ignores SIGTERM: -t 1 spares the 10 s wait).
    const up = await compose(['up', '-d', '-t', '1', '--scale', 'web=2']);
    expect(up.code, up.stderr).toBe(0);
    const webs = await Promise.all([1, 2].map((i) => inspect(`${name}_web_${i}`)));
    const ips = webs.map((w) => endpoints(w)[`${name}_default`].IPAddress).sort();
    expect(ips.every((ip) => /^10\.199\.\d+\.\d+$/.test(ip))).toBe(true);
    const hostPorts = webs
      .map(
        (w) =>
          (w.NetworkSettings as { Ports: Record<string, Array<{ HostPort: string }>> }).Ports['80/tcp'][0],
      )
      .map((b) => Number(b.HostPort))
      .sort();
    expect(hostPorts).toEqual([port, port + 1]);
    for (const p of hostPorts) expect(await fetchText(`http://127.0.0.1:${p}/`)).toBe('hello-from-web\n');

    const ns = await d.docker(['run', '--rm', '--network', `${name}_default`, ref, 'nslookup', 'web']);
    expect(ns.code, ns.stderr).toBe(0);
    expect(ns.stdout).toContain('Server:\t\t127.0.0.11');
    const answered = [...ns.stdout.matchAll(/^Name:\tweb\nAddress: (\S+)$/gm)].map((m) => m[1]).sort();
    expect(answered).toEqual(ips);

    // Again: nothing to do, nothing recreated.
    const before = await projectIds(name);
    const again = await compose(['up', '-d', '--scale', 'web=2']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`${name}_web_1 is up-to-date`);
    expect(again.stderr).toContain(`${name}_web_2 is up-to-date`);
    expect(again.stderr).not.toMatch(/Recreating|Creating/);
    expect(await projectIds(name)).toEqual(before);
  });

  it('down stops and removes the containers and the project network', async () => {
    const netId = JSON.parse((await d.docker(['network', 'inspect', `${name}_default`])).stdout)[0]
      .Id as string;
    const down = await compose(['down', '-t', '1']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(`Removing ${name}_web_1 `);
    expect(down.stderr).toContain(`Removing network ${name}_default`);
    expect(await projectIds(name)).toEqual([]);
    const ls = await d.docker(['network', 'ls', '--format', '{{.Name}}']);
    expect(ls.stdout.trim().split('\n').sort()).toEqual(['bridge', 'host', 'none']);
    expect((await run('ip', ['link', 'show', `br-${netId.slice(0, 12)}`])).code).not.toBe(0);
    expect(await fetchText(`http://127.0.0.1:${port}/`, false)).toMatch(/^curl exit/);
  });
});

describe('docker-compose 1.29.2: a custom network and network_mode host', () => {
  const tag = randomBytes(2).toString('hex');
  const name = `cq${tag}`;
  const octet = randomInt(16, 250);
  let compose: (args: string[]) => Promise<RunResult>;

  beforeAll(() => {
    compose = project(
      name,
      `version: "3.7"
services:
  api:
    image: ${ref}
    command: sh -c 'mkdir /w; echo api-page > /w/index.html; exec httpd -f -p 8080 -h /w'
    networks:
      back:
        aliases: [backend-api]
  probe:
    image: ${ref}
    command: sleep 600
    networks: [back]
  hostnet:
    image: ${ref}
    command: sleep 600
    network_mode: host
networks:
  back:
    driver: bridge
    driver_opts:
      com.docker.network.bridge.enable_icc: "true"
    ipam:
      config:
        - subnet: 172.31.${octet}.0/24
          gateway: 172.31.${octet}.254
    labels:
      tier: back
`,
    );
  });

  afterAll(async () => {
    await compose?.(['down', '-t', '1']);
  });

  it('creates the network as asked, serves by alias, and a second up finds it unchanged', async () => {
    const up = await compose(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`Creating network "${name}_back" with driver "bridge"`);
    const net = JSON.parse((await d.docker(['network', 'inspect', `${name}_back`])).stdout)[0] as Record<
      string,
      unknown
    >;
    expect(net).toMatchObject({
      Driver: 'bridge',
      Attachable: true,
      Options: { 'com.docker.network.bridge.enable_icc': 'true' },
      IPAM: {
        Driver: 'default',
        Config: [{ Subnet: `172.31.${octet}.0/24`, Gateway: `172.31.${octet}.254` }],
      },
      Labels: {
        tier: 'back',
        'com.docker.compose.network': 'back',
        'com.docker.compose.project': name,
        'com.docker.compose.version': '1.29.2',
      },
    });

    const page = await compose(['exec', '-T', 'probe', 'wget', '-qO-', 'http://backend-api:8080/']);
    expect(page).toMatchObject({ code: 0, stdout: 'api-page\n' });
    const api = await inspect(`${name}_api_1`);
    const apiIp = endpoints(api)[`${name}_back`].IPAddress;
    expect(apiIp).toMatch(new RegExp(`^172\\.31\\.${octet}\\.\\d+$`));
    const ns = await compose(['exec', '-T', 'probe', 'nslookup', 'api']);
    expect(ns.code, ns.stderr).toBe(0);
    expect(ns.stdout).toContain(`Address: ${apiIp}`);

    // compose compares the network's Driver, Options and IPAM with the file: equal, so nothing changes.
    const before = await projectIds(name);
    const again = await compose(['up', '-d']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/needs to be recreated|Recreating|Creating/);
    for (const s of ['api', 'probe', 'hostnet'])
      expect(again.stderr).toContain(`${name}_${s}_1 is up-to-date`);
    expect(await projectIds(name)).toEqual(before);
  });

  it('runs network_mode: host in the host network namespace', async () => {
    const links = await compose(['exec', '-T', 'hostnet', 'ip', '-o', 'link']);
    expect(links.code, links.stderr).toBe(0);
    expect(links.stdout).toContain(`: ${d.bridge}: `);
    expect((await compose(['exec', '-T', 'hostnet', 'hostname'])).stdout.trim()).toBe(os.hostname());
    const c = await inspect(`${name}_hostnet_1`);
    expect((c.HostConfig as { NetworkMode: string }).NetworkMode).toBe('host');
    expect(Object.keys(endpoints(c))).toEqual(['host']);
  });

  it('down removes the custom network', async () => {
    const down = await compose(['down', '-t', '1']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(`Removing network ${name}_back`);
    expect((await d.docker(['network', 'inspect', `${name}_back`])).code).not.toBe(0);
    expect(await projectIds(name)).toEqual([]);
  });
});

describe('docker-compose 1.29.2: up attached, as CI runs it', () => {
  it('up --abort-on-container-exit --exit-code-from client: logs, the client exit code, all stopped', async () => {
    const name = `cr${randomBytes(2).toString('hex')}`;
    const compose = project(
      name,
      `version: "3.7"
services:
  web:
    image: ${ref}
    command: sh -c 'mkdir /w; echo ci-page > /w/index.html; exec httpd -f -p 80 -h /w'
  client:
    image: ${ref}
    command: sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://web/ && break; sleep 0.3; done; exit 3'
    depends_on: [web]
`,
    );
    try {
      const up = await compose(['up', '-t', '1', '--abort-on-container-exit', '--exit-code-from', 'client']);
      expect(up.code, up.stderr).toBe(3);
      expect(up.stdout).toMatch(/^client_1 +\| ci-page$/m);
      expect(up.stdout).toContain(`${name}_client_1 exited with code 3`);
      expect(up.stderr).toContain(`Stopping ${name}_web_1    ... done`);
      const ps = await d.docker(['ps', '-q', '--filter', `label=com.docker.compose.project=${name}`]);
      expect(ps.stdout).toBe('');
    } finally {
      await compose(['down', '-t', '1']);
    }
  });
});

describe('docker-compose 1.29.2: external network, static address, internal network, service network_mode', () => {
  const name = `cs${randomBytes(2).toString('hex')}`;
  const ext = `${name}ext`;
  const a = randomInt(16, 130);
  const b = randomInt(130, 250);
  let compose: (args: string[]) => Promise<RunResult>;

  beforeAll(async () => {
    const c = await d.docker(['network', 'create', '--subnet', `172.31.${a}.0/24`, ext]);
    expect(c.code, c.stderr).toBe(0);
    compose = project(
      name,
      `version: "3.7"
services:
  web:
    image: ${ref}
    command: sh -c 'mkdir /w; echo side-page > /w/index.html; exec httpd -f -p 80 -h /w'
    hostname: webhost
    extra_hosts:
      - "somehost:10.1.2.3"
    networks:
      inner:
        ipv4_address: 172.31.${b}.50
      ext: {}
  sidecar:
    image: ${ref}
    command: sleep 600
    network_mode: "service:web"
  other:
    image: ${ref}
    command: sleep 600
    networks: [ext]
networks:
  inner:
    internal: true
    ipam:
      config:
        - subnet: 172.31.${b}.0/24
          ip_range: 172.31.${b}.128/25
  ext:
    external: true
    name: ${ext}
`,
    );
  });

  afterAll(async () => {
    await compose?.(['down', '-t', '1']);
    await d.docker(['network', 'rm', ext]);
  });

  it('runs, and a second up finds the internal network and its IPAM unchanged', async () => {
    const up = await compose(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`Creating network "${name}_inner" with the default driver`);
    expect(up.stderr).not.toContain(`Creating network "${ext}"`);
    const inner = JSON.parse((await d.docker(['network', 'inspect', `${name}_inner`])).stdout)[0] as Record<
      string,
      unknown
    >;
    expect(inner).toMatchObject({
      Internal: true,
      IPAM: { Config: [{ Subnet: `172.31.${b}.0/24`, IPRange: `172.31.${b}.128/25` }] },
    });
    const before = await projectIds(name);
    const again = await compose(['up', '-d']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/needs to be recreated|Recreating|Creating/);
    for (const s of ['web', 'sidecar', 'other'])
      expect(again.stderr).toContain(`${name}_${s}_1 is up-to-date`);
    expect(await projectIds(name)).toEqual(before);
  });

  it('gives web its static address, hostname and extra host; the sidecar shares its namespace', async () => {
    const web = await inspect(`${name}_web_1`);
    const eps = endpoints(web) as Record<string, Endpoint & { IPAMConfig: unknown }>;
    expect(Object.keys(eps).sort()).toEqual([`${name}_inner`, ext].sort());
    expect(eps[`${name}_inner`]).toMatchObject({
      IPAddress: `172.31.${b}.50`,
      IPAMConfig: { IPv4Address: `172.31.${b}.50` },
    });
    expect(eps[ext].IPAddress).toMatch(new RegExp(`^172\\.31\\.${a}\\.\\d+$`));
    const hosts = await compose(['exec', '-T', 'web', 'cat', '/etc/hosts']);
    expect(hosts.stdout).toContain('10.1.2.3\tsomehost\n');
    expect(hosts.stdout).toContain(`172.31.${b}.50\twebhost\n`);
    expect(hosts.stdout).toContain(`${eps[ext].IPAddress}\twebhost\n`);

    const side = await inspect(`${name}_sidecar_1`);
    expect((side.HostConfig as { NetworkMode: string }).NetworkMode).toBe(`container:${String(web.Id)}`);
    expect(endpoints(side)).toEqual({});
    expect(await compose(['exec', '-T', 'sidecar', 'wget', '-qO-', 'http://127.0.0.1/'])).toMatchObject({
      code: 0,
      stdout: 'side-page\n',
    });
    // A container of the project on the external network reaches web by service name.
    expect(await compose(['exec', '-T', 'other', 'wget', '-qO-', 'http://web/'])).toMatchObject({
      code: 0,
      stdout: 'side-page\n',
    });
  });

  it('down removes the project network and leaves the external one', async () => {
    const down = await compose(['down', '-t', '1']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(`Removing network ${name}_inner`);
    expect(down.stderr).toContain(`Network ${ext} is external, skipping`);
    expect((await d.docker(['network', 'inspect', `${name}_inner`])).code).not.toBe(0);
    expect((await d.docker(['network', 'inspect', ext])).code).toBe(0);
    expect(await projectIds(name)).toEqual([]);
  });
});

describe('docker-compose 1.29.2: the calls it makes, as against dockerd 20.10', () => {
  // The project of the reference capture (docker-trace-net/compose_up|down.calls.txt): compose's
  // calls and the answers' statuses there, with container ids as <id>, the project as P and the
  // container-list queries (compose's own choice of filters) reduced to their path.
  const ID = /[0-9a-f]{64}/g;
  const norm = (calls: string[], p: string) =>
    calls.map((c) =>
      c
        .replace(ID, '<id>')
        .replaceAll(p, 'P')
        .replace(/^GET \/v1\.41\/containers\/json\?.* (\d{3})$/, 'GET /v1.41/containers/json $1'),
    );
  const counts = (calls: string[]) => {
    const m: Record<string, number> = {};
    for (const c of calls) m[c] = (m[c] ?? 0) + 1;
    return m;
  };

  it('up -d and down make the same calls and get the same statuses', async () => {
    const name = `cz${randomBytes(2).toString('hex')}`;
    const port = await freeLoopbackPorts();
    expect((await d.docker(['tag', ref, 'busybox'])).code).toBe(0);
    const yml = `version: "3.7"
services:
  web:
    image: busybox
    command: httpd -f -p 80
    ports:
      - "127.0.0.1:${port}:80"
  client:
    image: busybox
    command: sh -c 'sleep 1; wget -qO- http://web/; echo client-done'
    depends_on:
      - web
`;
    const compose = project(name, yml);
    const log = await startCallLog(d.socket, dir);
    const viaLog = (args: string[]) =>
      run(
        'docker-compose',
        ['--ansi', 'never', '-p', name, '-f', path.join(dir, name, 'docker-compose.yml'), ...args],
        {
          env: { ...d.env, DOCKER_HOST: `unix://${log.socket}` },
          timeoutMs: 60_000,
        },
      );
    try {
      const up = await viaLog(['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      const upCalls = norm(log.calls.splice(0), name);
      expect(counts(upCalls)).toEqual({
        'GET /version 200': 1,
        'GET /v1.41/info 200': 1,
        'GET /v1.41/networks/P_default 404': 2,
        'POST /v1.41/networks/create 201': 1,
        'GET /v1.41/containers/json 200': 20,
        'GET /v1.41/images/busybox/json 200': 6,
        'POST /v1.41/containers/create?name=P_web_1 201': 1,
        'POST /v1.41/containers/create?name=P_client_1 201': 1,
        'GET /v1.41/containers/<id>/json 200': 2,
        'POST /v1.41/networks/P_default/disconnect 200': 2,
        'POST /v1.41/networks/P_default/connect 200': 2,
        'POST /v1.41/containers/<id>/start 204': 2,
      });
      expect(upCalls.filter((c) => !c.startsWith('GET '))).toEqual([
        'POST /v1.41/networks/create 201',
        'POST /v1.41/containers/create?name=P_web_1 201',
        'POST /v1.41/networks/P_default/disconnect 200',
        'POST /v1.41/networks/P_default/connect 200',
        'POST /v1.41/containers/<id>/start 204',
        'POST /v1.41/containers/create?name=P_client_1 201',
        'POST /v1.41/networks/P_default/disconnect 200',
        'POST /v1.41/networks/P_default/connect 200',
        'POST /v1.41/containers/<id>/start 204',
      ]);
      // As in the capture, down comes after the client has exited.
      expect((await d.docker(['wait', `${name}_client_1`])).stdout.trim()).toBe('0');
      const down = await viaLog(['down', '-t', '1']);
      expect(down.code, down.stderr).toBe(0);
      expect(counts(norm(log.calls.splice(0), name))).toEqual({
        'GET /version 200': 1,
        'GET /v1.41/networks/P_default 200': 1,
        'GET /v1.41/containers/json 200': 5,
        'GET /v1.41/containers/<id>/json 200': 5,
        'POST /v1.41/containers/<id>/stop?t=1 204': 1,
        'DELETE /v1.41/containers/<id>?v=False&link=False&force=False 204': 2,
        'DELETE /v1.41/networks/P_default 204': 1,
      });
    } finally {
      await log.close();
      await compose(['down', '-t', '1']);
      await d.docker(['rmi', 'busybox']);
    }
  });
});
