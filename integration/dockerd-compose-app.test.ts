// docker-compose 1.29.2 on a whole application, as a user runs it from start to finish: a web server
// with a named volume and a health check, an api built from its own Dockerfile (`build:`), a client that
// depends on both and fetches from each by service name, a custom network `back` that only api and client
// join, `environment` and `env_file`. Every command goes through compose (docker-py underneath; the build
// through the docker CLI as compose does by default, and through docker-py's /build in a second project).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, type Dockerd, dockerFixture } from './dockerd-harness.js';
import { type RunResult, run } from './harness.js';
import { until } from './wait.js';

let fx: DockerFixture;
let d: Dockerd;
let ref: string;
let dir: string;

beforeAll(async () => {
  fx = await dockerFixture();
  ({ d, ref } = fx);
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-compose-app-'));
}, 60_000);

afterAll(async () => {
  await fx?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const yml = `version: "3.7"
services:
  web:
    image: REF
    command: sh -c 'echo hello-from-web > /www/index.html; exec httpd -f -p 80 -h /www'
    volumes:
      - webdata:/www
    healthcheck:
      test: ["CMD", "wget", "-qO", "/dev/null", "http://127.0.0.1/"]
      interval: 1s
      timeout: 3s
      retries: 5
  api:
    build: ./api
    environment:
      GREETING: hello-from-api
    env_file: ./api.env
    networks:
      - back
  client:
    image: REF
    depends_on:
      - web
      - api
    networks:
      - default
      - back
    command: >-
      sh -c 'for i in $$(seq 1 40); do
      a=$$(wget -qO- http://web/) && b=$$(wget -qO- http://api:8080/) && break; sleep 0.5; done;
      echo "web=$$a api=$$b"'
volumes:
  webdata:
networks:
  back:
`;

const dockerfile = `FROM REF
ARG FLAVOUR=plain
RUN mkdir -p /srv && echo "built-$FLAVOUR" > /srv/built
COPY serve.sh /serve.sh
EXPOSE 8080
CMD ["sh", "/serve.sh"]
`;

const serve = `echo "$GREETING $FROM_ENV_FILE $(cat /srv/built)" > /srv/index.html
exec httpd -f -p 8080 -h /srv
`;

/** Writes the project and returns a runner of docker-compose in it. */
function project(name: string, env: Record<string, string> = {}): (args: string[]) => Promise<RunResult> {
  const p = path.join(dir, name);
  mkdirSync(path.join(p, 'api'), { recursive: true });
  writeFileSync(path.join(p, 'docker-compose.yml'), yml.replaceAll('REF', ref));
  writeFileSync(path.join(p, 'api', 'Dockerfile'), dockerfile.replace('REF', ref));
  writeFileSync(path.join(p, 'api', 'serve.sh'), serve);
  writeFileSync(path.join(p, 'api.env'), 'FROM_ENV_FILE=from-env-file\n');
  return (args) =>
    run(
      'docker-compose',
      ['--ansi', 'never', '-p', name, '-f', path.join(p, 'docker-compose.yml'), ...args],
      {
        env: { ...d.env, ...env },
        timeoutMs: 120_000,
      },
    );
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

const clientLine = 'web=hello-from-web api=hello-from-api from-env-file built-plain';

async function clientSaid(compose: (a: string[]) => Promise<RunResult>, n = 1): Promise<void> {
  await until(async () => {
    const logs = await compose(['logs', '--no-color', 'client']);
    return logs.stdout.split(clientLine).length - 1 >= n;
  }, 60_000);
}

describe('docker-compose 1.29.2: an application from start to finish', () => {
  const name = `ca${randomBytes(2).toString('hex')}`;
  let compose: (args: string[]) => Promise<RunResult>;

  beforeAll(() => {
    compose = project(name);
  });

  afterAll(async () => {
    await compose?.(['down', '-v', '-t', '1']);
  });

  it('up -d --build: builds api, makes the networks and the volume, client reaches both by name', async () => {
    const up = await compose(['up', '-d', '--build']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`Creating network "${name}_default" with the default driver`);
    expect(up.stderr).toContain(`Creating network "${name}_back" with the default driver`);
    expect(up.stderr).toContain(`Creating volume "${name}_webdata" with default driver`);
    expect(up.stderr).toContain('Building api');
    expect(`${up.stdout}${up.stderr}`).toMatch(/Successfully built [0-9a-f]{12}/);
    expect(`${up.stdout}${up.stderr}`).toContain(`Successfully tagged ${name}_api:latest`);
    for (const s of ['web', 'api', 'client']) expect(up.stderr).toContain(`Creating ${name}_${s}_1 ... done`);

    const img = await d.docker([
      'image',
      'inspect',
      '-f',
      '{{json .Config.ExposedPorts}} {{json .Config.Cmd}}',
      `${name}_api`,
    ]);
    expect(img.code, img.stderr).toBe(0);
    expect(img.stdout.trim()).toBe('{"8080/tcp":{}} ["sh","/serve.sh"]');

    await clientSaid(compose);
    expect((await d.docker(['wait', `${name}_client_1`])).stdout.trim()).toBe('0');

    // web is not on back: it cannot even resolve api.
    const iso = await compose(['exec', '-T', 'web', 'nslookup', 'api']);
    expect(iso.code).not.toBe(0);
  });

  it('ps shows web healthy once its check passes; exec and logs reach the services', async () => {
    await until(async () => {
      const ps = await compose(['ps']);
      return new RegExp(`^${name}_web_1 .* Up \\(healthy\\)`, 'm').test(ps.stdout);
    }, 30_000);
    const ps = await compose(['ps']);
    expect(ps.stdout).toMatch(new RegExp(`^${name}_api_1 +sh /serve.sh +Up +8080/tcp`, 'm'));
    expect(ps.stdout).toMatch(new RegExp(`^${name}_client_1 +.* Exit 0 *$`, 'm'));

    const ex = await compose(['exec', '-T', 'web', 'cat', '/www/index.html']);
    expect(ex).toMatchObject({ code: 0, stdout: 'hello-from-web\n' });
    const env = await compose(['exec', '-T', 'api', 'sh', '-c', 'echo $GREETING $FROM_ENV_FILE']);
    expect(env).toMatchObject({ code: 0, stdout: 'hello-from-api from-env-file\n' });

    const one = await compose(['run', '--rm', '-T', 'client', 'wget', '-qO-', 'http://api:8080/']);
    expect(one).toMatchObject({ code: 0, stdout: 'hello-from-api from-env-file built-plain\n' });
  });

  it('a second up -d is up-to-date everywhere, the build comes from the cache, nothing is recreated', async () => {
    const before = await projectIds(name);
    const up = await compose(['up', '-d', '--build']);
    expect(up.code, up.stderr).toBe(0);
    expect(`${up.stdout}${up.stderr}`).toContain('Using cache');
    for (const s of ['web', 'api']) expect(up.stderr).toContain(`${name}_${s}_1 is up-to-date`);
    expect(up.stderr).not.toMatch(/Recreating/);
    expect(await projectIds(name)).toEqual(before);
  });

  it('--scale web=2 shares the named volume; restart and stop/start keep serving', async () => {
    const up = await compose(['up', '-d', '--scale', 'web=2']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`Creating ${name}_web_2 ... done`);
    const vols = await d.docker([
      'inspect',
      '-f',
      '{{range .Mounts}}{{.Name}}{{end}}',
      `${name}_web_1`,
      `${name}_web_2`,
    ]);
    expect(vols.stdout.trim().split('\n')).toEqual([`${name}_webdata`, `${name}_webdata`]);

    const restart = await compose(['restart', '-t', '1', 'api']);
    expect(restart.code, restart.stderr).toBe(0);
    const stop = await compose(['stop', '-t', '1', 'api']);
    expect(stop.code, stop.stderr).toBe(0);
    const start = await compose(['start', 'api']);
    expect(start.code, start.stderr).toBe(0);
    await until(async () => {
      const r = await compose(['run', '--rm', '-T', 'client', 'wget', '-qO-', 'http://api:8080/']);
      return r.code === 0 && r.stdout === 'hello-from-api from-env-file built-plain\n';
    }, 30_000);
  });

  it('down -v removes the containers, both networks and the volume', async () => {
    const down = await compose(['down', '-v', '-t', '1']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(`Removing network ${name}_default`);
    expect(down.stderr).toContain(`Removing network ${name}_back`);
    expect(down.stderr).toContain(`Removing volume ${name}_webdata`);
    expect(await projectIds(name)).toEqual([]);
    const nets = await d.docker(['network', 'ls', '--format', '{{.Name}}']);
    expect(nets.stdout).not.toContain(name);
    const vols = await d.docker(['volume', 'ls', '-q']);
    expect(vols.stdout).not.toContain(`${name}_webdata`);
  });
});

describe('docker-compose 1.29.2: build through docker-py (COMPOSE_DOCKER_CLI_BUILD=0)', () => {
  const name = `cb${randomBytes(2).toString('hex')}`;
  let compose: (args: string[]) => Promise<RunResult>;

  beforeAll(() => {
    compose = project(name, { COMPOSE_DOCKER_CLI_BUILD: '0' });
  });

  afterAll(async () => {
    await compose?.(['down', '-v', '-t', '1']);
  });

  it('build with a build arg, then up runs the built image', async () => {
    const b = await compose(['build', '--build-arg', 'FLAVOUR=special', 'api']);
    expect(b.code, b.stderr).toBe(0);
    expect(`${b.stdout}${b.stderr}`).toContain(`Successfully tagged ${name}_api:latest`);
    const up = await compose(['up', '-d', 'api']);
    expect(up.code, up.stderr).toBe(0);
    const one = await compose(['run', '--rm', '-T', 'client', 'wget', '-qO-', 'http://api:8080/']);
    expect(one).toMatchObject({ code: 0, stdout: 'hello-from-api from-env-file built-special\n' });
  });
});
