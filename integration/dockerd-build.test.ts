// docker build through the classic builder (POST /build), driven by the real docker CLI 28
// (DOCKER_BUILDKIT=0), against tsctr-dockerd on a real tsctrd.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBuildFixture } from './dockerd-build-fixture.js';

const bf = useBuildFixture('tsctr-build-');
const { ctx } = bf;
const build = bf.build.bind(bf);

interface ImageInspect {
  Id: string;
  Parent: string;
  Author: string;
  Config: {
    Env: string[];
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    WorkingDir: string;
    User: string;
    Labels: Record<string, string> | null;
    ExposedPorts?: Record<string, object>;
    Volumes: Record<string, object> | null;
    StopSignal?: string;
    Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; Retries?: number };
    OnBuild: string[] | null;
    Shell?: string[];
  };
}

async function inspect(ref: string): Promise<ImageInspect> {
  const r = await bf.fx.d.docker(['image', 'inspect', ref]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as ImageInspect[])[0];
}

describe('docker build (classic builder)', () => {
  it('builds FROM/RUN/COPY/ENV/CMD with the docker CLI, and the image runs', async () => {
    const dir = ctx({
      Dockerfile: [
        'FROM busybox',
        'ENV GREETING=hello',
        'WORKDIR /app',
        'COPY hello.txt ./',
        'RUN echo "$GREETING from run" > run.txt && echo to-stderr >&2',
        'CMD ["cat", "/app/hello.txt", "/app/run.txt"]',
      ].join('\n'),
      'hello.txt': 'hi there\n',
    });
    const r = await build(['-t', 'b1:latest', dir]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/Step 1\/6 : FROM busybox\n ---> [0-9a-f]{12}\n/);
    expect(r.stdout).toMatch(
      /Step 5\/6 : RUN echo "\$GREETING from run" > run.txt && echo to-stderr >&2\n ---> Running in [0-9a-f]{12}\n/,
    );
    expect(r.stdout).toMatch(/Removing intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n/);
    expect(r.stdout).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged b1:latest\n/);
    const run = await bf.fx.d.docker(['run', '--rm', 'b1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('hi there\nhello from run\n');
    const img = await inspect('b1');
    expect(img.Config.Env).toContain('GREETING=hello');
    expect(img.Config.WorkingDir).toBe('/app');
    expect(img.Config.Cmd).toEqual(['cat', '/app/hello.txt', '/app/run.txt']);
    const h = await bf.fx.d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'b1']);
    expect(h.stdout.split('\n')[0]).toBe(
      'CMD ["cat" "/app/hello.txt" "/app/run.txt"]'.replace(/^/, '/bin/sh -c #(nop)  '),
    );
    expect(h.stdout).toContain('/bin/sh -c echo "$GREETING from run" > run.txt && echo to-stderr >&2');
    expect(h.stdout).toMatch(/\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/app\/ /);
    // Every step of a local build names its image in the history, as dockerd's does.
    const ids = await bf.fx.d.docker(['history', '--format', '{{.ID}}', 'b1']);
    expect(
      ids.stdout
        .split('\n')
        .slice(0, 5)
        .every((l) => /^[0-9a-f]{12}$/.test(l)),
    ).toBe(true);
  }, 180_000);

  it('rebuilds from the cache with the same ID, and busts it from one changed file on', async () => {
    const dir = ctx({
      Dockerfile: [
        'FROM busybox',
        'COPY a.txt /a.txt',
        'RUN cat /a.txt > /b.txt',
        'COPY c.txt /c.txt',
        'LABEL x=y',
      ].join('\n'),
      'a.txt': 'one\n',
      'c.txt': 'c\n',
    });
    const first = await build(['-t', 'cache1', dir]);
    expect(first.code, first.stderr).toBe(0);
    const id1 = (await inspect('cache1')).Id;
    const again = await build(['-t', 'cache1', dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.match(/ ---> Using cache\n/g)?.length).toBe(4);
    expect((await inspect('cache1')).Id).toBe(id1);
    // Same content with another mtime: still cached.
    writeFileSync(path.join(dir, 'c.txt'), 'c\n');
    const touched = await build(['-t', 'cache1', dir]);
    expect(touched.stdout.match(/ ---> Using cache\n/g)?.length).toBe(4);
    writeFileSync(path.join(dir, 'a.txt'), 'two\n');
    const bust = await build(['-t', 'cache1', dir]);
    expect(bust.code, bust.stderr).toBe(0);
    expect(bust.stdout).not.toContain('Using cache');
    expect((await inspect('cache1')).Id).not.toBe(id1);
    const run = await bf.fx.d.docker(['run', '--rm', 'cache1', 'cat', '/b.txt']);
    expect(run.stdout).toBe('two\n');
    const nocache = await build(['--no-cache', '-t', 'cache1', dir]);
    expect(nocache.code, nocache.stderr + nocache.stdout).toBe(0);
    expect(nocache.stdout).not.toContain('Using cache');
    // The cache survives a daemon restart.
    await bf.fx.d.stop();
    await bf.fx.d.start();
    const after = await build(['-t', 'cache2', dir]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout.match(/ ---> Using cache\n/g)?.length).toBe(4);
  }, 180_000);

  it('reports a failing RUN with its exit code, and keeps -q and --iidfile', async () => {
    const dir = ctx({ Dockerfile: 'FROM busybox\nRUN echo before && exit 3\n' });
    const r = await build(['-t', 'fail1', dir]);
    // The CLI exits with the step's code (errorDetail.code), as with dockerd.
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('before\n');
    expect(r.stderr).toContain("The command '/bin/sh -c echo before && exit 3' returned a non-zero code: 3");
    const ok = ctx({ Dockerfile: 'FROM busybox\nRUN echo quiet-output\n' });
    const q = await build(['-q', '--iidfile', path.join(bf.work, 'iid'), ok]);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    // With -q the CLI takes the ID from the stream line, newline included (as with dockerd).
    expect(readFileSync(path.join(bf.work, 'iid'), 'utf8').trim()).toBe(q.stdout.trim());
    const aux = await build(['--iidfile', path.join(bf.work, 'iid2'), '-t', 'iid2', ok]);
    expect(aux.code, aux.stderr).toBe(0);
    expect(readFileSync(path.join(bf.work, 'iid2'), 'utf8')).toBe((await inspect('iid2')).Id);
  }, 180_000);

  it('applies .dockerignore with **, ! and directories', async () => {
    const dir = ctx({
      Dockerfile: 'FROM busybox\nCOPY . /ctx/\nRUN cd /ctx && find . | sort > /list\nCMD ["cat", "/list"]\n',
      '.dockerignore': 'secret\n**/*.md\n!src/keep.md\nDockerfile\n',
      'secret/key': 'k',
      'src/app.js': 'x',
      'src/keep.md': 'keep',
      'src/notes.md': 'notes',
      'top.md': 'top',
    });
    const r = await build(['-t', 'ign', dir]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = await bf.fx.d.docker(['run', '--rm', 'ign']);
    expect(run.stdout.split('\n').filter(Boolean)).toEqual([
      '.',
      // As with dockerd: .dockerignore stays in the context unless it names itself.
      './.dockerignore',
      './src',
      './src/app.js',
      './src/keep.md',
    ]);
  }, 180_000);

  it('builds multi-stage with --target, COPY --from by name, index and image, only the needed stages', async () => {
    const dir = ctx({
      Dockerfile: [
        'ARG BASE=busybox',
        'FROM ${BASE} AS deps',
        'RUN echo deps > /deps.txt',
        'FROM busybox AS unused',
        'RUN echo unused > /unused.txt',
        'FROM busybox AS build',
        'COPY --from=deps /deps.txt /from-name.txt',
        'COPY --from=0 /deps.txt /from-index.txt',
        'COPY --from=busybox /bin/busybox /bb',
        'RUN cat /from-name.txt /from-index.txt > /built.txt',
        'FROM busybox',
        'COPY --from=build /built.txt /final.txt',
      ].join('\n'),
    });
    const t = await build(['--target', 'build', '-t', 'ms:build', dir]);
    expect(t.code, t.stderr + t.stdout).toBe(0);
    expect(t.stdout).not.toContain('unused');
    expect(t.stdout).toContain('Step 1/8 : ARG BASE=busybox');
    const run = await bf.fx.d.docker(['run', '--rm', 'ms:build', 'cat', '/built.txt']);
    expect(run.stdout).toBe('deps\ndeps\n');
    const full = await build(['-t', 'ms:final', dir]);
    expect(full.code, full.stderr).toBe(0);
    expect((await bf.fx.d.docker(['run', '--rm', 'ms:final', 'cat', '/final.txt'])).stdout).toBe(
      'deps\ndeps\n',
    );
    const bad = await build(['--target', 'nope', dir]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('failed to reach build target nope in Dockerfile');
  }, 180_000);

  it('takes -f in a subdirectory, -f - and a Dockerfile alone on stdin', async () => {
    const dir = ctx({ 'sub/Dockerfile.x': 'FROM busybox\nCOPY f.txt /f.txt\n', 'f.txt': 'f\n' });
    const sub = await build(['-f', path.join(dir, 'sub/Dockerfile.x'), '-t', 'fsub', dir]);
    expect(sub.code, sub.stderr).toBe(0);
    expect((await bf.fx.d.docker(['run', '--rm', 'fsub', 'cat', '/f.txt'])).stdout).toBe('f\n');
    const dash = await build(['-f', '-', '-t', 'fdash', dir], { input: 'FROM busybox\nCOPY f.txt /g.txt\n' });
    expect(dash.code, dash.stderr).toBe(0);
    expect((await bf.fx.d.docker(['run', '--rm', 'fdash', 'cat', '/g.txt'])).stdout).toBe('f\n');
    const stdin = await build(['-t', 'fstdin', '-'], { input: 'FROM busybox\nRUN echo stdin > /s.txt\n' });
    expect(stdin.code, stdin.stderr).toBe(0);
    expect((await bf.fx.d.docker(['run', '--rm', 'fstdin', 'cat', '/s.txt'])).stdout).toBe('stdin\n');
  }, 180_000);

  it('applies every instruction as dockerd does (inspect fields, ONBUILD in a child, ARG rules)', async () => {
    const dir = ctx({
      Dockerfile: [
        '# escape=`',
        'FROM busybox',
        'MAINTAINER someone',
        'ARG GREETING=hello',
        'ARG FROM_CLI',
        'ENV APP_HOME=/srv STAGE="two words"',
        'LABEL a="b c" d=e',
        'EXPOSE 8080 53/udp',
        'VOLUME /data',
        'WORKDIR $APP_HOME',
        'RUN echo "${GREETING:-x} ${FROM_CLI} ${UNSET:-dflt} ${GREETING:+set}" > greeting.txt && `',
        '    echo "$HTTP_PROXY" > proxy.txt',
        'RUN adduser -D -u 1000 app || echo "app:x:1000:1000::/home/app:/bin/sh" >> /etc/passwd',
        'COPY --chown=1000:1000 files/ /srv/files/',
        'ADD layer.tar /srv/unpacked/',
        'USER 1000:1000',
        'RUN id -u > /tmp/uid && cat /tmp/uid',
        'SHELL ["/bin/sh", "-xc"]',
        'STOPSIGNAL SIGINT',
        'HEALTHCHECK --interval=5s --timeout=2s --retries=2 CMD wget -qO- http://127.0.0.1/ || exit 1',
        'ONBUILD RUN echo onbuild-ran > /tmp/onbuild.txt',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["cat /srv/greeting.txt /srv/proxy.txt /srv/files/a.txt /srv/unpacked/inner.txt"]',
      ].join('\n'),
      'files/a.txt': 'file a\n',
    });
    // A local tar for ADD (extracted, not copied).
    const tarDir = mkdtempSync(path.join(bf.work, 'tar-'));
    writeFileSync(path.join(tarDir, 'inner.txt'), 'from the tar\n');
    const { execFileSync } = await import('node:child_process');
    execFileSync('tar', ['-cf', path.join(dir, 'layer.tar'), '-C', tarDir, 'inner.txt']);
    const r = await build([
      '-t',
      'every',
      '--build-arg',
      'FROM_CLI=cli',
      '--build-arg',
      'HTTP_PROXY=http://127.0.0.1:9',
      '--build-arg',
      'UNUSED=1',
      '--label',
      'built.by=test',
      dir,
    ]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('[Warning] One or more build-args [UNUSED] were not consumed\n');
    expect(r.stdout).toMatch(/Step 22\/22 : LABEL built.by=test\n/);
    const img = await inspect('every');
    expect(img.Author).toBe('someone');
    expect(img.Config.Env.slice(-2)).toEqual(['APP_HOME=/srv', 'STAGE=two words']);
    expect(img.Config.Labels).toEqual({ a: 'b c', d: 'e', 'built.by': 'test' });
    expect(img.Config.ExposedPorts).toEqual({ '8080/tcp': {}, '53/udp': {} });
    expect(img.Config.Volumes).toEqual({ '/data': {} });
    expect(img.Config.WorkingDir).toBe('/srv');
    expect(img.Config.User).toBe('1000:1000');
    expect(img.Config.StopSignal).toBe('SIGINT');
    expect(img.Config.Shell).toEqual(['/bin/sh', '-xc']);
    expect(img.Config.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'wget -qO- http://127.0.0.1/ || exit 1'],
      Interval: 5_000_000_000,
      Timeout: 2_000_000_000,
      Retries: 2,
    });
    expect(img.Config.OnBuild).toEqual(['RUN echo onbuild-ran > /tmp/onbuild.txt']);
    expect(img.Config.Entrypoint).toEqual(['/bin/sh', '-c']);
    expect(img.Config.Cmd).toEqual([
      'cat /srv/greeting.txt /srv/proxy.txt /srv/files/a.txt /srv/unpacked/inner.txt',
    ]);
    expect(img.Parent).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.stdout).toContain('1000\n');
    const run = await bf.fx.d.docker(['run', '--rm', 'every']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('hello cli dflt set\nhttp://127.0.0.1:9\nfile a\nfrom the tar\n');
    const own = await bf.fx.d.docker([
      'run',
      '--rm',
      '--entrypoint',
      'stat',
      'every',
      '-c',
      '%u:%g',
      '/srv/files/a.txt',
    ]);
    expect(own.stdout).toBe('1000:1000\n');
    // The proxy arg is not in the history; the declared build arg is (moby's |N prefix).
    const h = await bf.fx.d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'every']);
    expect(h.stdout).toContain('|2 FROM_CLI=cli GREETING=hello /bin/sh -c echo');
    expect(h.stdout).not.toContain('127.0.0.1:9');
    expect(h.stdout).toContain('/bin/sh -c #(nop)  ENV APP_HOME=/srv STAGE=two words');
    expect(h.stdout).toContain('/bin/sh -c #(nop)  EXPOSE 8080 53/udp');
    // ONBUILD runs in a child build, right after its FROM.
    const child = ctx({ Dockerfile: 'FROM every\nRUN ["cat", "/tmp/onbuild.txt"]\n' });
    const c = await build(['-t', 'every-child', child]);
    expect(c.code, c.stderr + c.stdout).toBe(0);
    expect(c.stdout).toMatch(/ ---> [0-9a-f]{12}\n# Executing 1 build trigger\n/);
    expect(c.stdout).toContain('onbuild-ran\n');
    expect((await inspect('every-child')).Config.OnBuild).toBeNull();
  }, 240_000);

  it('hides step images from docker images, prunes dangling chains, and rmi deletes a built image', async () => {
    const dir = ctx({ Dockerfile: 'FROM busybox\nRUN echo 1 > /one\nRUN echo 2 > /two\n' });
    const r = await build(['--no-cache', dir]);
    expect(r.code, r.stderr).toBe(0);
    const id = /Successfully built ([0-9a-f]{12})/.exec(r.stdout)![1];
    const list = await bf.fx.d.docker(['images', '--format', '{{.ID}} {{.Repository}}']);
    expect(list.stdout).toContain(`${id} <none>`);
    const all = await bf.fx.d.docker(['images', '-a', '-q']);
    expect(all.stdout.split('\n').filter(Boolean).length).toBeGreaterThan(
      list.stdout.split('\n').filter(Boolean).length,
    );
    const prune = await bf.fx.d.docker(['image', 'prune', '-f']);
    expect(prune.code, prune.stderr).toBe(0);
    expect(prune.stdout).toContain(`deleted: sha256:${id}`);
    expect(prune.stdout.match(/deleted: sha256:/g)?.length).toBeGreaterThanOrEqual(2);
    expect((await bf.fx.d.docker(['image', 'inspect', id])).code).not.toBe(0);
    const t = await build(['--no-cache', '-t', 'gone:1', dir]);
    expect(t.code).toBe(0);
    const rmi = await bf.fx.d.docker(['rmi', 'gone:1']);
    expect(rmi.code, rmi.stderr).toBe(0);
    expect(rmi.stdout).toContain('Deleted: sha256:');
    expect((await bf.fx.d.docker(['images', '--format', '{{.Repository}}'])).stdout).not.toContain('<none>');
  }, 180_000);

  it('runs RUN on the default bridge (or --network), applies resource options, and keeps rm/forcerm semantics', async () => {
    const dir = ctx({
      Dockerfile: [
        'FROM busybox',
        'RUN ip -o -4 addr show eth0 | grep -c inet > /net.txt || echo none > /net.txt',
        'RUN df -k /dev/shm | tail -1 > /shm.txt',
      ].join('\n'),
    });
    const r = await build(['--shm-size', '32m', '-t', 'netb', dir]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect((await bf.fx.d.docker(['run', '--rm', 'netb', 'cat', '/net.txt'])).stdout).toBe('1\n');
    expect((await bf.fx.d.docker(['run', '--rm', 'netb', 'cat', '/shm.txt'])).stdout).toMatch(/\s32768\s/);
    const none = await build(['--network', 'none', '--no-cache', '-t', 'netn', dir]);
    expect(none.code, none.stderr).toBe(0);
    expect((await bf.fx.d.docker(['run', '--rm', 'netn', 'cat', '/net.txt'])).stdout).toBe('none\n');
    // --rm=false keeps the step containers; a failed step keeps its container unless --force-rm.
    // (The failing-RUN test above left its step container, as dockerd does without --force-rm.)
    await bf.fx.d.docker(['container', 'prune', '-f']);
    expect((await bf.fx.d.docker(['ps', '-aq'])).stdout.trim()).toBe('');
    const keep = await build(['--rm=false', '--no-cache', dir]);
    expect(keep.code).toBe(0);
    expect(keep.stdout).not.toContain('Removing intermediate container');
    expect((await bf.fx.d.docker(['ps', '-aq'])).stdout.trim().split('\n').length).toBe(2);
    await bf.fx.d.docker(['container', 'prune', '-f']);
    const failing = ctx({ Dockerfile: 'FROM busybox\nRUN false\n' });
    expect((await build([failing])).code).toBe(1);
    expect((await bf.fx.d.docker(['ps', '-aq'])).stdout.trim().split('\n').length).toBe(1);
    await bf.fx.d.docker(['container', 'prune', '-f']);
    expect((await build(['--force-rm', failing])).code).toBe(1);
    expect((await bf.fx.d.docker(['ps', '-aq'])).stdout.trim()).toBe('');
  }, 180_000);

  it('streams a 100 MiB context without holding it in memory', async () => {
    const dir = ctx({ Dockerfile: 'FROM busybox\nCOPY big /big\nRUN wc -c < /big\n' });
    const { openSync, writeSync, closeSync } = await import('node:fs');
    const fd = openSync(path.join(dir, 'big'), 'w');
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < 100; i++) {
      chunk.fill(i);
      writeSync(fd, chunk);
    }
    closeSync(fd);
    const pid = bf.fx.d.proc!.pid!;
    const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
    const base = hwm();
    const r = await build(['-t', 'big', dir]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`${100 * 1024 * 1024}\n`);
    // The daemon's peak memory grows by much less than the context's size.
    const grew = hwm() - base;
    // (garbage not yet collected counts too: buffering the context would add at least 100 MiB).
    expect(grew).toBeLessThan(80 * 1024 * 1024);
    await bf.fx.d.docker(['rmi', 'big']);
  }, 240_000);
});
