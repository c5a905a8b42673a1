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

  it('top with ps_args that ps refuses, or without a PID column, is a 400, not a 500', async () => {
    const run = await fx.d.docker(['run', '-d', fx.ref, 'sleep', '30']);
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.trim();
    const bad = await fx.d.request('GET', `/v1.41/containers/${id}/top?ps_args=aaaa`);
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Error running ps');
    const noPid = await fx.d.request('GET', `/v1.41/containers/${id}/top?ps_args=-o%20comm`);
    expect(noPid.status).toBe(400);
    expect(noPid.body).toContain("Couldn't find PID field in ps output");
    await fx.d.docker(['rm', '-f', id]);
  });

  it('logs with a since that does not parse is a 400, not a 500', async () => {
    const run = await fx.d.docker(['create', fx.ref, 'true']);
    const r = await fx.d.request(
      'GET',
      `/v1.41/containers/${run.stdout.trim()}/logs?stdout=1&since=linux/amd64`,
    );
    expect(r.status).toBe(400);
    expect(r.body).toContain('invalid syntax');
    await fx.d.docker(['rm', '-f', run.stdout.trim()]);
  });

  it('build naming a Dockerfile the context lacks is a 400, not a 500', async () => {
    const ctx = await tarOf([{ name: 'Dockerfile', data: `FROM ${fx.ref}\n` }]);
    const r = await fx.d.request('POST', '/v1.41/build?dockerfile=-1', ctx, {
      'Content-Type': 'application/x-tar',
    });
    expect(r.status).toBe(400);
    expect(r.body).toContain('Cannot locate specified Dockerfile: -1');
    const long = await fx.d.request('POST', `/v1.41/build?dockerfile=${'x'.repeat(5000)}`, ctx, {
      'Content-Type': 'application/x-tar',
    });
    expect(long.status).toBe(400);
  });
});
