// Legacy --link (env and hosts on the default bridge, DNS aliases on user networks, docker rm --link)
// and IPv6 user networks, driven by the docker CLI.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, Dockerd, dockerFixture } from './dockerd-harness.js';

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

const ok = async (args: string[]) => {
  const r = await d.docker(args);
  expect(r.code, `docker ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
};

describe('legacy links', () => {
  it('give env vars and a hosts line on the default bridge, follow the target, and go with rm --link', async () => {
    await ok(['run', '-d', '--name', 'web1', '--expose', '80', '-e', 'COLOR=blue', ref, 'sleep', '600']);
    const webIp = await ok(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web1']);
    const webShort = (await ok(['inspect', '-f', '{{.Id}}', 'web1'])).slice(0, 12);
    await ok(['run', '-d', '--name', 'ld', '--link', 'web1:webalias', ref, 'sleep', '600']);
    const env = (await ok(['exec', 'ld', 'env']))
      .split('\n')
      .filter((l) => l.startsWith('WEBALIAS_'))
      .sort();
    expect(env).toEqual(
      [
        'WEBALIAS_ENV_COLOR=blue',
        'WEBALIAS_NAME=/ld/webalias',
        `WEBALIAS_PORT=tcp://${webIp}:80`,
        `WEBALIAS_PORT_80_TCP=tcp://${webIp}:80`,
        `WEBALIAS_PORT_80_TCP_ADDR=${webIp}`,
        'WEBALIAS_PORT_80_TCP_PORT=80',
        'WEBALIAS_PORT_80_TCP_PROTO=tcp',
      ].sort(),
    );
    expect(await ok(['exec', 'ld', 'cat', '/etc/hosts'])).toContain(`${webIp}\twebalias ${webShort} web1`);
    expect(await ok(['exec', 'ld', 'ping', '-c1', '-W1', 'webalias'])).toContain('1 packets received');
    expect(await ok(['inspect', '-f', '{{json .HostConfig.Links}}', 'ld'])).toBe('["/web1:/ld/webalias"]');
    // A link to a container that does not exist is refused at create.
    const bad = await d.docker(['create', '--link', 'nosuch:x', ref, 'true']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Could not get container for nosuch');
    // docker rm --link drops the link from the container's config.
    await ok(['rm', '--link', '/ld/webalias']);
    expect(await ok(['inspect', '-f', '{{json .HostConfig.Links}}', 'ld'])).toBe('[]');
    await ok(['rm', '-f', 'ld', 'web1']);
  });

  it('are DNS aliases on a user network, seen only by the linking container', async () => {
    await ok(['network', 'create', 'ln1']);
    await ok(['run', '-d', '--name', 'aa', '--network', 'ln1', ref, 'sleep', '600']);
    const aaIp = await ok(['inspect', '-f', '{{.NetworkSettings.Networks.ln1.IPAddress}}', 'aa']);
    await ok(['run', '-d', '--name', 'bb', '--network', 'ln1', '--link', 'aa:linked', ref, 'sleep', '600']);
    expect(await ok(['inspect', '-f', '{{json .NetworkSettings.Networks.ln1.Links}}', 'bb'])).toBe(
      '["aa:linked"]',
    );
    expect(await ok(['inspect', '-f', '{{json .HostConfig.Links}}', 'bb'])).toBe('null');
    expect(await ok(['exec', 'bb', 'nslookup', 'linked', '127.0.0.11'])).toContain(`Address: ${aaIp}`);
    const other = await d.docker([
      'run',
      '--rm',
      '--network',
      'ln1',
      ref,
      'nslookup',
      'linked',
      '127.0.0.11',
    ]);
    expect(other.stdout).not.toContain(aaIp);
    await ok(['rm', '-f', 'aa', 'bb']);
    await ok(['network', 'rm', 'ln1']);
  });
});

describe('legacy links with --icc=false', () => {
  it("open only the target's exposed port to the linking container, both ways, until it stops", async () => {
    const icc = await Dockerd.start(['--icc=false']);
    try {
      const run = async (args: string[]) => {
        const r = await icc.docker(args, { timeoutMs: 60_000 });
        expect(r.code, `docker ${args.join(' ')}: ${r.stderr}`).toBe(0);
        return r.stdout.trim();
      };
      await run(['pull', ref]);
      const serve = 'mkdir /www && echo linked > /www/index.html && httpd -f -p 8080 -h /www';
      await run(['run', '-d', '--name', 'web', '--expose', '8080', ref, 'sh', '-c', serve]);
      const webIp = await run(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web']);
      // No link: inter-container traffic on the bridge is dropped.
      // (busybox's `wget -T` crashes: `timeout` bounds it; 143 = still waiting, its SYN dropped.)
      const probe = (port: number) => `timeout 2 wget -qO- http://${webIp}:${port}/; echo rc=$?`;
      expect(await run(['run', '--rm', ref, 'sh', '-c', probe(8080)])).toBe('rc=143');
      await run(['run', '-d', '--name', 'client', '--link', 'web:w', ref, 'sleep', '600']);
      const clientIp = await run(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'client']);
      // (By address: the static busybox's wget cannot use the hosts file; the alias is tested above.)
      expect(await run(['exec', 'client', 'timeout', '5', 'wget', '-qO-', `http://${webIp}:8080/`])).toBe(
        'linked',
      );
      const docker = () =>
        execFileSync('iptables-save', ['-t', 'filter'], { encoding: 'utf8' })
          .split('\n')
          .filter((l) => l.startsWith(`-A ${icc.chainPrefix} `) && l.includes(clientIp));
      const m = `-i ${icc.bridge} -o ${icc.bridge} -p tcp -m tcp`;
      expect(docker()).toEqual([
        `-A ${icc.chainPrefix} -s ${clientIp}/32 -d ${webIp}/32 ${m} --dport 8080 -j ACCEPT`,
        `-A ${icc.chainPrefix} -s ${webIp}/32 -d ${clientIp}/32 ${m} --sport 8080 -j ACCEPT`,
      ]);
      // Only the exposed port: another one on the target stays closed to the linking container.
      await run(['exec', '-d', 'web', 'httpd', '-p', '8081', '-h', '/www']);
      expect(await run(['exec', 'client', 'sh', '-c', probe(8081)])).toBe('rc=143');
      // ...while the target itself serves it.
      expect(await run(['exec', 'web', 'wget', '-qO-', 'http://127.0.0.1:8081/'])).toBe('linked');
      await run(['rm', '-f', 'client']);
      expect(docker()).toEqual([]);
      await run(['rm', '-f', 'web']);
    } finally {
      await icc.cleanup();
    }
  }, 120_000);
});

describe('IPv6 user networks', () => {
  it('give containers their IPv6 address, AAAA answers and a v6 path between them', async () => {
    await ok(['network', 'create', '--ipv6', '--subnet', 'fd99:199::/64', 'v6net']);
    await ok(['run', '-d', '--name', 'a6', '--network', 'v6net', ref, 'sleep', '600']);
    const v6 = await ok(['inspect', '-f', '{{.NetworkSettings.Networks.v6net.GlobalIPv6Address}}', 'a6']);
    expect(v6).toMatch(/^fd99:199::\d+$/);
    expect(await ok(['exec', 'a6', 'ip', '-6', 'addr', 'show', 'eth0'])).toContain(`inet6 ${v6}/64`);
    const aaaa = await ok([
      'run',
      '--rm',
      '--network',
      'v6net',
      ref,
      'nslookup',
      '-type=AAAA',
      'a6',
      '127.0.0.11',
    ]);
    expect(aaaa).toContain(`Address: ${v6}`);
    const ping = await ok(['run', '--rm', '--network', 'v6net', ref, 'ping6', '-c1', '-W1', v6]);
    expect(ping).toContain('1 packets received');
    await ok(['rm', '-f', 'a6']);
    await ok(['network', 'rm', 'v6net']);
  });
});
