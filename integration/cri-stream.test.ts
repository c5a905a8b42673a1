// crictl's streaming commands against tsctrd's CRI stream server: exec (plain, -i, -it through a real
// terminal), attach (plain and with a TTY), port-forward; one-use URLs.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CRICTL, CriEnv } from './cri-harness.js';
import { freeLoopbackPorts } from './free-port.js';
import { run } from './harness.js';
import { until } from './wait.js';

let env: CriEnv;
let pod: string;
let podFile: string;
let ticker: string;

const endpoint = () => [
  '--runtime-endpoint',
  `unix://${env.d.address}`,
  '--image-endpoint',
  `unix://${env.d.address}`,
];

beforeAll(async () => {
  env = await CriEnv.start();
  await env.ok(['pull', env.images.busybox]);
  podFile = await env.file('pod.json', {
    metadata: { name: 'stream', namespace: 'default', uid: 'uid-stream' },
    hostname: 'stream',
    log_directory: path.join(env.d.dir, 'logs'),
    linux: {},
  });
  pod = await env.ok(['runp', podFile]);
  const cfg = await env.file('ticker.json', {
    metadata: { name: 'ticker' },
    image: { image: env.images.busybox },
    command: [
      'sh',
      '-c',
      'echo served-by-pod > /tmp/index.html; httpd -p 8081 -h /tmp; i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done',
    ],
    log_path: 'ticker.log',
    linux: {},
  });
  ticker = await env.ok(['create', pod, cfg, podFile]);
  await env.ok(['start', ticker]);
}, 120_000);

afterAll(async () => {
  await env?.cleanup();
}, 120_000);

it('exec streams stdout/stderr, stdin with -i, and the exit code', async () => {
  const r = await env.crictl(['exec', ticker, 'sh', '-c', 'echo out; echo err >&2']);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('out\n');
  expect(r.stderr).toContain('err\n');
  const i = await env.crictl(['exec', '-i', ticker, 'sh', '-c', 'read x; echo got-$x'], { input: 'abc\n' });
  expect(i.stdout).toBe('got-abc\n');
  const bad = await env.crictl(['exec', ticker, 'sh', '-c', 'exit 4']);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('exit code 4');
}, 60_000);

it('exec -it runs the process on a terminal', async () => {
  const cmd = [CRICTL, ...endpoint(), 'exec', '-it', ticker, 'sh', '-c', "'tty'"].join(' ');
  const r = await run('script', ['-qec', `${cmd}`, '/dev/null'], {
    timeoutMs: 30_000,
  });
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
}, 60_000);

it('attach follows the running container output', async () => {
  const att = spawn(CRICTL, [...endpoint(), 'attach', ticker]);
  let out = '';
  att.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await until(() => /tick-\d+\ntick-\d+\n/.test(out), 20_000, 100);
  } finally {
    att.kill();
  }
}, 60_000);

it('attach -it to a container started with a TTY and stdin', async () => {
  const cfg = await env.file('tty.json', {
    metadata: { name: 'tty' },
    image: { image: env.images.busybox },
    command: ['sh'],
    stdin: true,
    tty: true,
    log_path: 'tty.log',
    linux: {},
  });
  const c = await env.ok(['create', pod, cfg, podFile]);
  await env.ok(['start', c]);
  const cmd = [CRICTL, ...endpoint(), 'attach', '-it', c].join(' ');
  // The shell on the terminal reads what we type through crictl and answers on it; then exits.
  const r = await run('script', ['-qec', cmd, '/dev/null'], {
    input: 'echo attached-$((6*7))\nexit\n',
    timeoutMs: 30_000,
  });
  expect(r.stdout).toContain('attached-42');
  await until(
    async () =>
      (JSON.parse(await env.ok(['inspect', c])) as { status: { state: string } }).status.state ===
      'CONTAINER_EXITED',
    20_000,
    100,
  );
}, 60_000);

it('port-forward reaches a port inside the pod from 127.0.0.1', async () => {
  const local = await freeLoopbackPorts(1);
  const pf = spawn(CRICTL, [...endpoint(), 'port-forward', pod, `${local}:8081`]);
  let log = '';
  pf.stdout.on('data', (d: Buffer) => (log += d.toString()));
  try {
    await until(() => log.includes('Forwarding from 127.0.0.1'), 20_000, 100);
    const body = await new Promise<string>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port: local, path: '/index.html', timeout: 10_000 }, (res) => {
          let b = '';
          res.on('data', (d: Buffer) => (b += d.toString()));
          res.on('end', () => resolve(b));
        })
        .on('error', reject),
    );
    expect(body).toBe('served-by-pod\n');
  } finally {
    pf.kill();
  }
}, 60_000);

it('a streaming URL is refused after its one use', async () => {
  const r = await env.crictl(['--debug', 'exec', ticker, 'true']);
  expect(r.code).toBe(0);
  const url = /Exec URL: (http:\/\/127\.0\.0\.1:\d+\/exec\/\S+?)"/.exec(r.stderr)?.[1];
  expect(url).toBeDefined();
  const again = await new Promise<number>((resolve, reject) => {
    const req = http.request(url!, {
      method: 'POST',
      headers: {
        connection: 'Upgrade',
        upgrade: 'SPDY/3.1',
        'x-stream-protocol-version': 'v4.channel.k8s.io',
      },
    });
    req.on('upgrade', () => resolve(101));
    req.on('response', (res) => resolve(res.statusCode ?? 0));
    req.on('error', reject);
    req.end();
  });
  expect(again).toBe(404);
}, 60_000);
