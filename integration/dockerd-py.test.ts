// docker-py (the library compose and many scripts use) against tsctr-dockerd: it negotiates the
// version with an unversioned GET /version, sends sparse bodies, map-of-list filters and Python's
// capitalised booleans, and maps 404 texts to ImageNotFound/NotFound.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, type Dockerd, dockerFixture } from './dockerd-harness.js';
import { REPO, run } from './harness.js';

/** Debian's python3 and its python3-docker (5.0.3): the docker-py the project is judged with. */
const PYTHON = '/usr/bin/python3';

let fx: DockerFixture;
let d: Dockerd;
let ref: string;

beforeAll(async () => {
  fx = await dockerFixture();
  ({ d, ref } = fx);
}, 60_000);

afterAll(async () => {
  await fx?.stop();
});

describe('docker-py', () => {
  it('runs, execs, reads logs, stops, waits, removes, and maps errors', async () => {
    const r = await run(PYTHON, [path.join(REPO, 'integration/clients/dockerpy_flow.py'), ref], {
      env: d.env,
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'ping True',
      'api 1.41',
      'run hi',
      'status running',
      'labels py',
      "filter ['py1']",
      'exec 3 b',
      'logs out err',
      'wait 137',
      'gone True',
      'imagenotfound True',
      'image True True',
      'volume pyvol v',
      'volrun x',
      'badname 400',
    ]);
  });

  it('sees what dockerd gives: exec framing by the start body, plugins, errors, load and prune', async () => {
    const r = await run(PYTHON, [path.join(REPO, 'integration/clients/dockerpy_compat.py'), ref], {
      env: d.env,
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      "exec-tty-demux (b'hi\\r\\n', None)",
      "exec-tty-plain b'hi\\r\\n'",
      "exec-demux (b'out\\n', b'err\\n')",
      'plugins []',
      'kill-stopped 409',
      'volume-driver 404',
      'volume-wrongtype 400',
      "log-driver 400 logger: no log driver named 'asdf' is registered",
      'load-broken ImageLoadError',
      'prune True True',
      'refused-env 400 invalid environment variable: =foo',
      'refused-health 400 Interval in Healthcheck cannot be less than 1ms',
      'refused-runtime 400 unknown or invalid runtime name: nosuch',
      'runtime runc',
      'volumes-from-missing 404',
      'volumes-from shared',
      'volumes-from-ro 1',
      'restarting-rm 409 True',
      "group-add ['0', '1234', '65534']",
      'group-add-unknown 400',
    ]);
  });
});
