// Challenges, credentials and the Basic/Bearer flows against a small fake registry on 127.0.0.1.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isKind } from '../../api/errdefs.js';
import { parseChallenges, repositoryScope } from './auth.js';
import {
  type CredentialsProvider,
  chainCredentials,
  dockerConfigCredentials,
  dockerConfigDir,
  normalizeCredentialHost,
  parseDockerConfig,
  staticCredentials,
} from './credentials.js';
import { sha256Digest } from './digest.js';
import { MediaType } from './media.js';
import { Registry } from './registry.js';
import { type FakeServer, type Recorded, startFakeServer } from './testing/fake-server.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const manifest = Buffer.from('{"schemaVersion":2}');
const manifestDigest = sha256Digest(manifest);

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('parseChallenges', () => {
  it('parses Bearer parameters, quoted and bare', () => {
    const [c] = parseChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
    );
    expect(c).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/busybox:pull',
      },
    });
    expect(parseChallenges('basic Realm=registry, charset="UTF-8"')[0]).toEqual({
      scheme: 'basic',
      params: { realm: 'registry', charset: 'UTF-8' },
    });
    expect(parseChallenges('Bearer realm="a\\"b", error="invalid_token"')[0].params).toEqual({
      realm: 'a"b',
      error: 'invalid_token',
    });
  });

  it('ranks Bearer before Basic and skips garbage', () => {
    const cs = parseChallenges(['Basic realm="r"', '', 'Bearer realm="t"']);
    expect(cs.map((c) => c.scheme)).toEqual(['bearer', 'basic']);
  });

  it('builds repository scopes', () => {
    expect(repositoryScope('library/busybox')).toBe('repository:library/busybox:pull');
    expect(repositoryScope('a/b', true)).toBe('repository:a/b:pull,push');
  });
});

describe('credentials', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsctr-dockercfg-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('normalises config.json keys', () => {
    expect(normalizeCredentialHost('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeCredentialHost('registry-1.docker.io')).toBe('docker.io');
    expect(normalizeCredentialHost('http://MyReg:5000/v2/')).toBe('myreg:5000');
    expect(normalizeCredentialHost('127.0.0.1:5000')).toBe('127.0.0.1:5000');
  });

  it('parses auth, username/password and identitytoken entries', () => {
    const creds = parseDockerConfig(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
          'old.example': { username: 'u', password: 'p' },
          'sso.example': { auth: b64('<token>:'), identitytoken: 'refresh-me' },
          'empty.example': {},
        },
        credsStore: 'desktop',
      }),
    );
    expect(creds.get('docker.io')).toEqual({ username: 'hubuser', password: 'hub:pass' });
    expect(creds.get('old.example')).toEqual({ username: 'u', password: 'p' });
    expect(creds.get('sso.example')).toEqual({
      username: '<token>',
      password: '',
      identityToken: 'refresh-me',
    });
    expect(creds.has('empty.example')).toBe(false);
  });

  it('reads $DOCKER_CONFIG/config.json at lookup time', async () => {
    expect(dockerConfigDir({ DOCKER_CONFIG: dir })).toBe(dir);
    expect(dockerConfigDir({ HOME: '/home/x' })).toBe('/home/x/.docker');
    const provider = dockerConfigCredentials(dockerConfigDir({ DOCKER_CONFIG: dir }));
    expect(await provider('127.0.0.1:5000')).toBeUndefined();
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { '127.0.0.1:5000': { auth: b64('a:b') } } }),
    );
    expect(await provider('127.0.0.1:5000')).toEqual({ username: 'a', password: 'b' });
    expect(await provider('registry-1.docker.io')).toBeUndefined();
  });

  it('chains providers', async () => {
    const p = chainCredentials(staticCredentials({ 'a.example': { username: 'x', password: 'y' } }), () => ({
      username: 'fallback',
      password: 'z',
    }));
    expect((await p('a.example'))?.username).toBe('x');
    expect((await p('b.example'))?.username).toBe('fallback');
  });
});

/** A registry that serves one manifest at /v2/<repo>/manifests/latest once authorized. */
function serveManifest(req: Recorded, res: import('node:http').ServerResponse): void {
  res.setHeader('content-type', MediaType.OciManifest);
  res.setHeader('docker-content-digest', manifestDigest);
  res.setHeader('content-length', String(manifest.length));
  res.end(req.method === 'HEAD' ? undefined : manifest);
}

describe('Basic auth', () => {
  let srv: FakeServer;
  beforeAll(async () => {
    srv = await startFakeServer((req, res) => {
      if (req.headers.authorization !== `Basic ${b64('alice:s3cret')}`) {
        res.statusCode = 401;
        res.setHeader('www-authenticate', 'Basic realm="fake"');
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      serveManifest(req, res);
    });
  });
  afterAll(() => srv.close());

  it('answers a Basic challenge with the credentials for the host', async () => {
    const reg = new Registry({
      credentials: staticCredentials({ [srv.host]: { username: 'alice', password: 's3cret' } }),
    });
    const r = await reg.resolve(`${srv.host}/app:latest`);
    expect(r.descriptor.digest).toBe(manifestDigest);
    // Later requests send the header straight away.
    const before = srv.requests.length;
    await reg.resolve(`${srv.host}/app:latest`);
    expect(srv.requests.length).toBe(before + 1);
  });

  it('fails with FailedPrecondition naming the URL without credentials', async () => {
    const reg = new Registry({ credentials: () => undefined, retries: 0 });
    const err = await rejection(reg.resolve(`${srv.host}/app:latest`));
    expect(isKind(err, 'FailedPrecondition')).toBe(true);
    expect(err.message).toContain(`http://${srv.host}/v2/app/manifests/latest: 401`);
    expect(err.message).toContain('pull access denied');
  });

  it('fails when the credentials are wrong, without looping', async () => {
    const reg = new Registry({
      credentials: staticCredentials({ [srv.host]: { username: 'alice', password: 'no' } }),
    });
    const before = srv.requests.length;
    const err = await rejection(reg.resolve(`${srv.host}/app:latest`));
    expect(isKind(err, 'FailedPrecondition')).toBe(true);
    expect(srv.requests.length - before).toBe(2);
  });
});

describe('Bearer auth', () => {
  let srv: FakeServer;
  let tokenStatus = 200;
  let expiresIn: number | undefined = 300;
  let useAccessToken = false;
  let requireUser: string | undefined;
  let issued = 0;

  beforeAll(async () => {
    srv = await startFakeServer((req, res) => {
      const url = new URL(req.url, 'http://x');
      if (url.pathname === '/token') {
        if (requireUser && req.headers.authorization !== `Basic ${b64(requireUser)}`) {
          res.statusCode = 401;
          res.end('{"details":"bad credentials"}');
          return;
        }
        res.statusCode = tokenStatus;
        const scopes = url.searchParams.getAll('scope').join(' ');
        const tok = `tok${++issued}|${scopes}`;
        res.setHeader('content-type', 'application/json');
        const field = useAccessToken ? 'access_token' : 'token';
        res.end(
          JSON.stringify({ [field]: tok, ...(expiresIn !== undefined ? { expires_in: expiresIn } : {}) }),
        );
        return;
      }
      const m = /^\/v2\/(.+)\/manifests\/latest$/.exec(url.pathname);
      const need = m ? `repository:${m[1]}:pull` : '';
      const auth = req.headers.authorization ?? '';
      const granted = auth.startsWith('Bearer tok') ? auth.slice(auth.indexOf('|') + 1).split(' ') : [];
      if (
        auth.includes('revoked') ||
        (url.pathname !== '/v2/' && !granted.includes(need)) ||
        !auth.startsWith('Bearer')
      ) {
        res.statusCode = 401;
        const scope = need ? `,scope="${need}"` : '';
        const error = auth ? ',error="invalid_token"' : '';
        res.setHeader(
          'www-authenticate',
          `Bearer realm="http://${srv.host}/token",service="fake-registry"${scope}${error}`,
        );
        res.end();
        return;
      }
      if (url.pathname === '/v2/') {
        res.end('{}');
        return;
      }
      serveManifest(req, res);
    });
  });
  afterEach(() => {
    tokenStatus = 200;
    expiresIn = 300;
    useAccessToken = false;
    requireUser = undefined;
  });
  afterAll(() => srv.close());

  const tokenRequests = (): Recorded[] => srv.requests.filter((r) => r.url.startsWith('/token'));

  it('fetches an anonymous token with service and scope, and caches it per scope', async () => {
    const reg = new Registry({ credentials: () => undefined });
    const before = tokenRequests().length;
    await reg.resolve(`${srv.host}/team/app:latest`);
    await reg.resolve(`${srv.host}/team/app:latest`);
    const got = tokenRequests().slice(before);
    expect(got.length).toBe(1);
    const q = new URL(got[0].url, 'http://x').searchParams;
    expect(q.get('service')).toBe('fake-registry');
    expect(q.getAll('scope')).toEqual(['repository:team/app:pull']);
    expect(got[0].headers.authorization).toBeUndefined();
    // Another repository needs another scope, hence another token.
    await reg.resolve(`${srv.host}/team/other:latest`);
    expect(tokenRequests().length - before).toBe(2);
    expect(reg.transport.authorizer.tokenRequests).toBe(2);
  });

  it('sends Basic credentials from $DOCKER_CONFIG to the token endpoint and accepts access_token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsctr-dockercfg-'));
    try {
      await writeFile(
        join(dir, 'config.json'),
        JSON.stringify({ auths: { [srv.host]: { auth: b64('bob:pw') } } }),
      );
      requireUser = 'bob:pw';
      useAccessToken = true;
      const reg = new Registry({ credentials: dockerConfigCredentials(dir) });
      expect((await reg.resolve(`${srv.host}/app:latest`)).descriptor.digest).toBe(manifestDigest);
      expect(tokenRequests().at(-1)?.headers.authorization).toBe(`Basic ${b64('bob:pw')}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refetches a token after it expires', async () => {
    expiresIn = 1;
    const reg = new Registry({ credentials: () => undefined });
    await reg.resolve(`${srv.host}/exp:latest`);
    await reg.resolve(`${srv.host}/exp:latest`);
    expect(reg.transport.authorizer.tokenRequests).toBe(1);
    await new Promise((r) => setTimeout(r, 1000));
    await reg.resolve(`${srv.host}/exp:latest`);
    expect(reg.transport.authorizer.tokenRequests).toBe(2);
  });

  it('uses the default 60 s lifetime when expires_in is missing', async () => {
    expiresIn = undefined;
    const reg = new Registry({ credentials: () => undefined });
    await reg.resolve(`${srv.host}/noexp:latest`);
    await reg.resolve(`${srv.host}/noexp:latest`);
    expect(reg.transport.authorizer.tokenRequests).toBe(1);
  });

  it('fails with the token endpoint status when credentials are refused', async () => {
    requireUser = 'bob:pw';
    const reg = new Registry({
      credentials: staticCredentials({ [srv.host]: { username: 'bob', password: 'wrong' } }),
    });
    const err = await rejection(reg.resolve(`${srv.host}/app:latest`));
    expect(isKind(err, 'FailedPrecondition')).toBe(true);
    expect(err.message).toContain(`GET http://${srv.host}/token?…: 401`);
  });

  it('stops when the registry refuses the token it just got', async () => {
    const reg = new Registry({ credentials: () => undefined, retries: 0 });
    const before = srv.requests.length;
    const err = await rejection(reg.resolve(`${srv.host}/revoked:latest`));
    expect(isKind(err, 'FailedPrecondition')).toBe(true);
    expect(srv.requests.length - before).toBeLessThanOrEqual(4);
  });

  it('ping (login check) fetches a token with the challenge scope', async () => {
    const reg = new Registry({ credentials: () => undefined });
    await reg.ping(srv.host);
  });

  it('a provider error surfaces', async () => {
    const failing: CredentialsProvider = () => {
      throw new Error('helper broke');
    };
    const reg = new Registry({ credentials: failing });
    await expect(reg.resolve(`${srv.host}/x:latest`)).rejects.toThrow(/helper broke/);
  });
});
