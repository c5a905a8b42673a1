// tsctr-dockerd on TCP only with mutual TLS: the docker CLI with a client certificate signed by the
// daemon's CA gets answers; without one, or with one from another CA, the handshake is refused.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, Tsctrd, run } from './harness.js';

let t: Tsctrd;
let dir: string;
let port: number;
let daemon: ReturnType<typeof spawn>;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A CA, and a certificate signed by it for `name` (server or client use). */
function issue(ca: string, name: string, ext: string): void {
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}-key.pem`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  );
  execFileSync('sh', ['-c', `printf '%s\\n' '${ext}' > ${name}.ext`], { cwd: dir });
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}-key.pem`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-tls-'));
  for (const ca of ['ca', 'other-ca']) {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${ca}-key.pem`,
      '-out',
      `${ca}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${ca}`,
    );
  }
  issue('ca', 'server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth');
  issue('ca', 'client', 'extendedKeyUsage=clientAuth');
  issue('other-ca', 'stranger', 'extendedKeyUsage=clientAuth');
  t = await Tsctrd.start();
  port = await freePort();
  daemon = spawn(
    process.execPath,
    [
      path.join(DIST, 'tsctr-dockerd.js'),
      '-H',
      `tcp://127.0.0.1:${port}`,
      '--containerd',
      t.address,
      '--data-root',
      path.join(t.root, 'dockerd'),
      '--exec-root',
      path.join(t.state, 'dockerd'),
      '--tlsverify',
      '--tlscacert',
      path.join(dir, 'ca.pem'),
      '--tlscert',
      path.join(dir, 'server.pem'),
      '--tlskey',
      path.join(dir, 'server-key.pem'),
      // TLS is what is tested here: no bridge or iptables rules of its own to leave behind.
      '--iptables',
      'false',
      '--bridge',
      'none',
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 300; i++) {
    const up = await new Promise<boolean>((r) =>
      net
        .connect(port, '127.0.0.1')
        .once('connect', function (this: net.Socket) {
          this.destroy();
          r(true);
        })
        .once('error', () => r(false)),
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60_000);

afterAll(async () => {
  daemon?.kill('SIGTERM');
  await t?.cleanup();
});

const docker = (cert: string | undefined) =>
  run(
    'docker',
    [
      '-H',
      `tcp://127.0.0.1:${port}`,
      '--tlsverify',
      '--tlscacert',
      path.join(dir, 'ca.pem'),
      ...(cert
        ? ['--tlscert', path.join(dir, `${cert}.pem`), '--tlskey', path.join(dir, `${cert}-key.pem`)]
        : []),
      'version',
      '--format',
      '{{.Server.APIVersion}}',
    ],
    { env: { DOCKER_CONFIG: dir } },
  );

describe('tsctr-dockerd over TCP', () => {
  it('answers a client with a certificate from its CA, and refuses others', async () => {
    const ok = await docker('client');
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe('1.41');
    expect((await docker(undefined)).code).not.toBe(0);
    expect((await docker('stranger')).code).not.toBe(0);
  });
});
