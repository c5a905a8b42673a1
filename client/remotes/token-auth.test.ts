// The real docker-registry with `auth: token:`, and a small token server in node signing RS256 JWTs with a
// self-signed certificate made by openssl. Credentials come from a temporary $DOCKER_CONFIG.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKind } from '../../api/errdefs.js';
import { dockerConfigCredentials } from './credentials.js';
import { Registry } from './registry.js';
import type { FakeServer } from './testing/fake-server.js';
import { type TestImage, buildImage, plain } from './testing/image.js';
import type { RunningRegistry } from './testing/registry-process.js';
import {
  type TokenRegistry,
  TOKEN_PASSWORD as PASSWORD,
  TOKEN_USER as USER,
  startTokenRegistry,
} from './testing/token-registry.js';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('token auth against docker-registry', () => {
  let dir: string;
  let tokens: FakeServer;
  let reg: RunningRegistry;
  let image: TestImage;
  let tr: TokenRegistry;

  beforeAll(async () => {
    tr = await startTokenRegistry();
    ({ reg, tokens, dir } = tr);
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: { [reg.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } },
      }),
    );
    image = buildImage();
  });

  afterAll(async () => {
    await tr?.stop();
  });

  const tokenRequests = (): number => tokens.requests.length;

  it('pushes, resolves, fetches and mounts with credentials from $DOCKER_CONFIG', async () => {
    const remote = new Registry({ credentials: dockerConfigCredentials(dir) });
    const repo = `${reg.host}/private/app`;
    await remote.ping(reg.host);
    for (const b of [image.layer, ...image.platforms.map((p) => p.config)]) {
      expect(await remote.pushBlob(repo, b.desc, b.data)).toBe('uploaded');
    }
    for (const p of image.platforms) await remote.pushManifest(repo, plain(p.manifest.desc), p.manifest.data);
    await remote.pushManifest(repo, image.index.desc, image.index.data, { tag: 'v1' });
    const { descriptor } = await remote.resolve(`${repo}:v1`);
    expect(descriptor.digest).toBe(image.index.desc.digest);
    expect((await remote.fetchBuffer(repo, image.layer.desc)).equals(image.layer.data)).toBe(true);
    // The mount asks for pull on the source repository in the same token.
    expect(await remote.mountBlob(`${reg.host}/private/copy`, image.layer.desc, 'private/app')).toEqual({
      mounted: true,
    });
    const last = new URL(tokens.requests.at(-1)?.url ?? '', 'http://x').searchParams.getAll('scope');
    expect(last).toContain('repository:private/app:pull');
    expect(last).toContain('repository:private/copy:pull,push');
  });

  it('caches tokens per scope', async () => {
    const remote = new Registry({ credentials: dockerConfigCredentials(dir) });
    const repo = `${reg.host}/private/app`;
    const before = tokenRequests();
    for (let i = 0; i < 3; i++) await remote.resolve(`${repo}:v1`);
    expect(tokenRequests() - before).toBe(1);
    await remote.fetchBuffer(repo, image.platforms[0].config.desc);
    expect(tokenRequests() - before).toBe(1);
  });

  it('anonymous callers are refused private repositories, with FailedPrecondition', async () => {
    const remote = new Registry({ credentials: () => undefined });
    const err = await rejection(remote.resolve(`${reg.host}/private/app:v1`));
    expect(isKind(err, 'FailedPrecondition')).toBe(true);
    expect(err.message).toContain(`http://${reg.host}/v2/private/app/manifests/v1: 401`);
  });

  it('anonymous pull of a public repository works, push does not', async () => {
    const owner = new Registry({ credentials: dockerConfigCredentials(dir) });
    const repo = `${reg.host}/public/app`;
    await owner.pushBlob(repo, image.layer.desc, image.layer.data);
    const anon = new Registry({ credentials: () => undefined });
    expect(await anon.blobExists(repo, image.layer.desc)).toBe(true);
    const cfg = image.platforms[0].config;
    const err = await rejection(anon.pushBlob(repo, cfg.desc, cfg.data));
    expect(isKind(err, 'FailedPrecondition')).toBe(true);
  });

  it('wrong credentials fail at the token endpoint', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'tsctr-dockercfg-'));
    try {
      await writeFile(
        join(bad, 'config.json'),
        JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${USER}:nope`).toString('base64') } } }),
      );
      const remote = new Registry({ credentials: dockerConfigCredentials(bad) });
      const err = await rejection(remote.resolve(`${reg.host}/private/app:v1`));
      expect(isKind(err, 'FailedPrecondition')).toBe(true);
      expect(err.message).toContain(`http://${tokens.host}/token`);
      expect(err.message).toContain('401');
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});
