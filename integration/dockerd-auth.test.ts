// docker login, push and pull through tsctr-dockerd against a registry with bearer-token auth:
// credentials travel from the CLI's config as X-Registry-Auth, and /auth checks them at the registry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../client/remotes/index.js';
import {
  TOKEN_PASSWORD,
  TOKEN_USER,
  type TokenRegistry,
  startTokenRegistry,
} from '../client/remotes/testing/token-registry.js';
import { Dockerd } from './dockerd-harness.js';
import { type RunningRegistry, pushTestImage, startRegistry } from './registry.js';
import { busybox } from './testimages.js';

let d: Dockerd;
let open: RunningRegistry;
let tr: TokenRegistry;
let ref: string;

beforeAll(async () => {
  open = await startRegistry();
  ref = await pushTestImage(open, 'busybox:latest', await busybox());
  tr = await startTokenRegistry();
  d = await Dockerd.start();
  expect((await d.docker(['pull', ref])).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await d?.cleanup();
  await tr?.stop();
  await open?.stop();
});

describe('registry auth through tsctr-dockerd', () => {
  it('refuses a wrong password, logs in with the right one, then pushes and pulls a private image', async () => {
    const host = tr.reg.host;
    const bad = await d.docker(['login', '-u', TOKEN_USER, '--password-stdin', host], { input: 'wrong\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/login attempt to .* failed/);
    const target = `${host}/private/bb:1`;
    await d.docker(['tag', ref, target]);
    const anon = await d.docker(['push', target]);
    expect(anon.code).toBe(1);
    const login = await d.docker(['login', '-u', TOKEN_USER, '--password-stdin', host], {
      input: `${TOKEN_PASSWORD}\n`,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain('Login Succeeded');
    const push = await d.docker(['push', target]);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toMatch(/1: digest: sha256:[0-9a-f]{64}/);
    // The registry has it, for these credentials only.
    const reg = new Registry({ credentials: () => ({ username: TOKEN_USER, password: TOKEN_PASSWORD }) });
    expect((await reg.resolve(target)).descriptor.digest).toMatch(/^sha256:/);
    await d.docker(['rmi', target]);
    const pull = await d.docker(['pull', target]);
    expect(pull.code, pull.stderr).toBe(0);
    await d.docker(['logout', host]);
    await d.docker(['rmi', target]);
    const denied = await d.docker(['pull', target]);
    expect(denied.code).toBe(1);
  });
});
