// Test helper: Debian's docker-registry behind bearer-token auth, with a token server of our own on
// 127.0.0.1 that signs JWTs for USER/PASSWORD (any repository) and for anonymous pulls of `public/*`.
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomUUID, sign } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeServer, startFakeServer } from './fake-server.js';
import { type RunningRegistry, startRegistry } from './registry-process.js';

export const TOKEN_SERVICE = 'tsctr-test-registry';
export const TOKEN_ISSUER = 'tsctr-test-issuer';
export const TOKEN_USER = 'tester';
export const TOKEN_PASSWORD = 's3cret';

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** "repository:private/app:pull,push" → access entry. */
function parseScope(scope: string): Access | undefined {
  const parts = scope.split(':');
  if (parts.length < 3) return undefined;
  return { type: parts[0], name: parts.slice(1, -1).join(':'), actions: parts[parts.length - 1].split(',') };
}

export interface TokenRegistry {
  reg: RunningRegistry;
  tokens: FakeServer;
  dir: string;
  stop(): Promise<void>;
}

export async function startTokenRegistry(): Promise<TokenRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'tsctr-token-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=tsctr-test-token-signer',
    ],
    { stdio: 'ignore' },
  );
  const keyPem = await readFile(key, 'utf8');
  const certDer = new X509Certificate(await readFile(cert)).raw.toString('base64');
  const tokens = await startFakeServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const authorized =
      req.headers.authorization ===
      `Basic ${Buffer.from(`${TOKEN_USER}:${TOKEN_PASSWORD}`).toString('base64')}`;
    if (req.headers.authorization && !authorized) {
      res.statusCode = 401;
      res.end('{"details":"incorrect username or password"}');
      return;
    }
    const access = url.searchParams
      .getAll('scope')
      .map(parseScope)
      .filter((a): a is Access => a !== undefined)
      .map((a) => (authorized ? a : { ...a, actions: a.name.startsWith('public/') ? ['pull'] : [] }));
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer] }));
    const claims = b64url(
      JSON.stringify({
        iss: TOKEN_ISSUER,
        sub: authorized ? TOKEN_USER : '',
        aud: url.searchParams.get('service') ?? '',
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      }),
    );
    const signature = b64url(sign('sha256', Buffer.from(`${header}.${claims}`), keyPem));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ token: `${header}.${claims}.${signature}`, expires_in: 300 }));
  });
  const reg = await startRegistry({
    auth: {
      realm: `http://${tokens.host}/token`,
      service: TOKEN_SERVICE,
      issuer: TOKEN_ISSUER,
      rootCertBundle: cert,
    },
  });
  return {
    reg,
    tokens,
    dir,
    async stop() {
      await reg.stop();
      await tokens.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
