// Docker compatibility details a user of the docker CLI or docker-py sees (issue 12): commit of
// containers that are not running, archives of stopped containers' volumes, request validation before
// any network access, 400 for broken bodies everywhere, docker cp's path rules, kill/rename/tag,
// exec events and old API versions, and the offline first image.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, type Dockerd, dockerFixture } from './dockerd-harness.js';
import { REPO, run } from './harness.js';

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

async function ok(args: string[], input?: string | Buffer): Promise<string> {
  const r = await d.docker(args, input === undefined ? {} : { input });
  expect(r.code, `docker ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('offline first image', () => {
  it('scripts/local-busybox.sh imports tsctr.local/busybox from busybox-static, and it runs', async () => {
    const script = path.join(REPO, 'scripts/local-busybox.sh');
    const first = await run('bash', [script, d.socket], { timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('imported tsctr.local/busybox:latest');
    expect(await ok(['run', '--rm', 'tsctr.local/busybox', 'echo', 'hi'])).toBe('hi\n');
    // The image's own command is sh; busybox applets are on PATH.
    expect(await ok(['run', '--rm', '-i', 'tsctr.local/busybox:latest'], 'ls /bin/wget; id -u\n')).toBe(
      '/bin/wget\n0\n',
    );
    const again = await run('bash', [script, d.socket], { timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already there');
    // Registry images keep working beside it.
    expect(await ok(['run', '--rm', ref, 'echo', 'reg'])).toBe('reg\n');
  }, 90_000);
});
