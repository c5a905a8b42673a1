// Legacy --link (env and hosts on the default bridge, DNS aliases on user networks, docker rm --link)
// and IPv6 user networks, driven by the docker CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, type Dockerd, dockerFixture } from './dockerd-harness.js';

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
