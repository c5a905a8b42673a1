// 5xx answers the API fuzzer found, each now a 4xx (see README, "API fuzzing").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, dockerFixture } from '../../dockerd-harness.js';
import { tarOf } from '../../testimages.js';

let fx: DockerFixture;

beforeAll(async () => {
  fx = await dockerFixture();
}, 90_000);

afterAll(async () => {
  await fx?.stop();
});

describe('API fuzz regressions', () => {
  it('create with a user the image lacks is a 400, not a 500', async () => {
    const r = await fx.d.request(
      'POST',
      '/v1.41/containers/create',
      JSON.stringify({ Image: fx.ref, User: '1e308', Cmd: ['true'] }),
      { 'Content-Type': 'application/json' },
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({
      message: 'unable to find user 1e308: no matching entries in passwd file',
    });
  });

  it('build naming a Dockerfile the context lacks is a 400, not a 500', async () => {
    const ctx = await tarOf([{ name: 'Dockerfile', data: `FROM ${fx.ref}\n` }]);
    const r = await fx.d.request('POST', '/v1.41/build?dockerfile=-1', ctx, {
      'Content-Type': 'application/x-tar',
    });
    expect(r.status).toBe(400);
    expect(r.body).toContain('Cannot locate specified Dockerfile: -1');
  });
});
