import { describe, expect, it } from 'vitest';
import { isKind } from '../../api/errdefs.js';
import {
  familiarName,
  isValidReference,
  parseReference,
  validateRepositoryPath,
  withDigest,
  withTag,
} from './reference.js';

const D = `sha256:${'ab'.repeat(32)}`;

function invalid(s: string): unknown {
  try {
    parseReference(s);
  } catch (err) {
    return err;
  }
  throw new Error(`expected ${JSON.stringify(s)} to be rejected`);
}

describe('parseReference normalisation', () => {
  it.each([
    [
      'busybox',
      'docker.io',
      'library/busybox',
      'latest',
      undefined,
      'docker.io/library/busybox:latest',
      'busybox:latest',
    ],
    [
      'busybox:1.36',
      'docker.io',
      'library/busybox',
      '1.36',
      undefined,
      'docker.io/library/busybox:1.36',
      'busybox:1.36',
    ],
    ['user/app:1', 'docker.io', 'user/app', '1', undefined, 'docker.io/user/app:1', 'user/app:1'],
    [
      'docker.io/busybox',
      'docker.io',
      'library/busybox',
      'latest',
      undefined,
      'docker.io/library/busybox:latest',
      'busybox:latest',
    ],
    [
      'index.docker.io/library/debian',
      'docker.io',
      'library/debian',
      'latest',
      undefined,
      'docker.io/library/debian:latest',
      'debian:latest',
    ],
    [
      'docker.io/library/a/b',
      'docker.io',
      'library/a/b',
      'latest',
      undefined,
      'docker.io/library/a/b:latest',
      'library/a/b:latest',
    ],
    [
      '127.0.0.1:5000/busybox:latest',
      '127.0.0.1:5000',
      'busybox',
      'latest',
      undefined,
      '127.0.0.1:5000/busybox:latest',
      '127.0.0.1:5000/busybox:latest',
    ],
    ['localhost/x', 'localhost', 'x', 'latest', undefined, 'localhost/x:latest', 'localhost/x:latest'],
    [
      'localhost:5000/x@' + D,
      'localhost:5000',
      'x',
      undefined,
      D,
      `localhost:5000/x@${D}`,
      `localhost:5000/x@${D}`,
    ],
    [
      'busybox@' + D,
      'docker.io',
      'library/busybox',
      undefined,
      D,
      `docker.io/library/busybox@${D}`,
      `busybox@${D}`,
    ],
    [
      'busybox:1@' + D,
      'docker.io',
      'library/busybox',
      '1',
      D,
      `docker.io/library/busybox@${D}`,
      `busybox@${D}`,
    ],
    [
      'ghcr.io/org/team/app:v1.2-rc_3',
      'ghcr.io',
      'org/team/app',
      'v1.2-rc_3',
      undefined,
      'ghcr.io/org/team/app:v1.2-rc_3',
      'ghcr.io/org/team/app:v1.2-rc_3',
    ],
    [
      'Example.COM/a',
      'Example.COM',
      'a',
      'latest',
      undefined,
      'Example.COM/a:latest',
      'Example.COM/a:latest',
    ],
    ['[::1]:5000/app:x', '[::1]:5000', 'app', 'x', undefined, '[::1]:5000/app:x', '[::1]:5000/app:x'],
    [
      'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
      'docker.io',
      'library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
      'latest',
      undefined,
      'docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:latest',
      '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:latest',
    ],
  ])('%s', (input, host, path, tag, digest, string, familiar) => {
    const r = parseReference(input);
    expect(r.host).toBe(host);
    expect(r.path).toBe(path);
    expect(r.tag).toBe(tag);
    expect(r.digest).toBe(digest);
    expect(r.string).toBe(string);
    expect(r.familiar).toBe(familiar);
    expect(r.name).toBe(`${host}/${path}`);
  });

  it('names with separators docker accepts', () => {
    for (const s of [
      'docker-rules/docker',
      'docker---rules/docker',
      'dock__er/docker',
      'd/docker',
      'jess/t',
      'ab_c-x/d-e',
    ]) {
      expect(isValidReference(s), s).toBe(true);
    }
    expect(isValidReference('a.b_c/d')).toBe(false); // a dotted first component is a domain
    expect(parseReference('g'.repeat(64)).path).toBe(`library/${'g'.repeat(64)}`);
  });

  it('familiar names', () => {
    expect(parseReference('busybox').familiarName).toBe('busybox');
    expect(parseReference('docker.io/user/app').familiarName).toBe('user/app');
    expect(familiarName('quay.io', 'library/x')).toBe('quay.io/library/x');
  });
});

describe('parseReference rejects', () => {
  it.each([
    ['', 'at least one component'],
    ['Busybox', 'must be lowercase'],
    ['docker/Docker', 'must be lowercase'],
    ['localhost:5000/Foo:tag', 'must be lowercase'],
    ['busybox:-bad', 'invalid reference format'],
    ['busybox:', 'invalid reference format'],
    [`busybox:${'t'.repeat(129)}`, 'invalid reference format'],
    ['busybox@sha256:abc', 'invalid reference format'],
    [`busybox@sha256:${'AB'.repeat(32)}`, 'invalid checksum digest format'],
    [`busybox@sha256:${'ab'.repeat(31)}`, 'invalid checksum digest format'],
    [`busybox@md5:${'ab'.repeat(16)}`, 'unsupported digest algorithm'],
    ['1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', '64-byte hexadecimal'],
    ['https://github.com/docker/docker', ''],
    ['-docker/docker', ''],
    ['docker-/docker', ''],
    ['docker///docker', ''],
    ['____/____', ''],
    ['dock..er/docker', ''],
    ['dock-.er/docker', ''],
    ['docker/', ''],
    [' busybox', ''],
    [`${'a/'.repeat(130)}b`, 'must not be more than 255'],
  ])('%j', (input, message) => {
    const err = invalid(input);
    expect(isKind(err, 'InvalidArgument')).toBe(true);
    expect((err as Error).message).toContain(message);
  });

  it('stays fast on pathological input', () => {
    const start = Date.now();
    expect(isValidReference(`${'a'.repeat(200)}!`)).toBe(false);
    expect(isValidReference(`${'a-'.repeat(300)}!`)).toBe(false);
    expect(isValidReference(`${'a.'.repeat(300)}/!`)).toBe(false);
    expect(Date.now() - start).toBeLessThan(500);
  });
});

describe('reference helpers', () => {
  it('withTag and withDigest', () => {
    const r = parseReference('127.0.0.1:5000/app:1');
    expect(withTag(r, 'v2').string).toBe('127.0.0.1:5000/app:v2');
    expect(withDigest(r, D).string).toBe(`127.0.0.1:5000/app@${D}`);
    expect(() => withTag(r, '.bad')).toThrow(/invalid tag format/);
    expect(() => withDigest(r, 'sha256:zz')).toThrow(/digest/);
  });

  it('validateRepositoryPath', () => {
    expect(validateRepositoryPath('library/busybox')).toBe('library/busybox');
    expect(() => validateRepositoryPath('Library/busybox')).toThrow(/invalid repository path/);
    expect(() => validateRepositoryPath('x:tag')).toThrow(/invalid repository path/);
  });
});
