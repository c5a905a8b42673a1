// docker build benchmarks: the classic builder (`DOCKER_BUILDKIT=0 docker build`) of tsctr-dockerd
// against Debian's dockerd 20.10, same run, alternating, data on the bench's tmpfs. A 12-step,
// 2-stage Dockerfile that COPYs 2,000 files and has 4 RUN steps, cold (--no-cache) and fully cached,
// and a 100 MiB context sent to a one-step build.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type RunningRegistry, startRegistry } from '../client/remotes/testing/registry-process.js';
import { Registry } from '../client/remotes/index.js';
import { busybox } from '../integration/testimages.js';
import { type DockerDaemon, type DockerRow, docker, startDockerd, startTsctr } from './docker.js';

function contexts(base: string, ref: string): { steps: string; big: string } {
  const steps = path.join(base, 'ctx-steps');
  for (let d = 0; d < 20; d++) {
    mkdirSync(path.join(steps, 'files', `d${d}`), { recursive: true });
    for (let f = 0; f < 100; f++)
      writeFileSync(path.join(steps, 'files', `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`.repeat(20));
  }
  writeFileSync(
    path.join(steps, 'Dockerfile'),
    [
      `FROM ${ref} AS deps`,
      'WORKDIR /src',
      'COPY files/ /src/files/',
      'RUN find /src/files -type f | wc -l > /count',
      'RUN cat /src/files/d1/* > /cat1',
      `FROM ${ref}`,
      'ENV APP=/app',
      'WORKDIR /app',
      'COPY --from=deps /count /app/count',
      'RUN echo built > /app/built',
      'RUN ls /app > /app/ls',
      'CMD ["cat", "/app/count"]',
    ].join('\n'),
  );
  const big = path.join(base, 'ctx-big');
  mkdirSync(big, { recursive: true });
  // Incompressible-looking bytes (a counter mixed per MiB), so neither side can shortcut it.
  const parts: Buffer[] = [];
  for (let i = 0; i < 100; i++) {
    const b = Buffer.alloc(1 << 20);
    for (let j = 0; j < b.length; j++) b[j] = (j * 31 + i * 7 + (j >> 8)) & 0xff;
    parts.push(b);
  }
  writeFileSync(path.join(big, 'big.bin'), Buffer.concat(parts));
  writeFileSync(path.join(big, 'Dockerfile'), `FROM ${ref}\n`);
  return { steps, big };
}

function build(d: DockerDaemon, args: string[]): number {
  process.env.DOCKER_BUILDKIT = '0';
  return docker(d, ['build', '--network', 'none', ...args]).ms;
}

export async function buildRows(
  base: string,
  rounds: number,
): Promise<{ rows: DockerRow[]; anchored: boolean }> {
  const reg: RunningRegistry = await startRegistry();
  const img = await busybox();
  const r = new Registry({});
  const ref = `${reg.host}/busybox:bench`;
  for (const l of [...img.layers, img.config]) await r.pushBlob(ref, l, l.data);
  await r.pushManifest(ref, img.manifest, img.manifest.data, { tag: 'bench' });
  const ctx = contexts(base, ref);
  const ours = await startTsctr(path.join(base, 'tsctr'));
  const theirs = await startDockerd(path.join(base, 'dockerd'));
  const both = theirs ? [ours, theirs] : [ours];
  const cold: DockerRow = {
    what: 'cold `docker build` (12 steps, 2 stages, COPY of 2,000 files, 4 RUN)',
    unit: 'ms',
    ours: [],
    anchor: [],
    goal: '≤ 0.7×',
    reference: '—',
  };
  const cached: DockerRow = {
    what: 'the same build, fully cached',
    unit: 'ms',
    ours: [],
    anchor: [],
    goal: '≤ 0.3×',
    reference: '—',
  };
  const big: DockerRow = {
    what: '`docker build` of a 100 MiB context (FROM only)',
    unit: 'ms',
    ours: [],
    anchor: [],
    goal: '≤ 1.0×',
    reference: '—',
  };
  try {
    for (const d of both) docker(d, ['pull', '-q', ref]);
    for (let i = 0; i < rounds + 1; i++) {
      for (const d of both) {
        const c = build(d, ['--no-cache', '-t', 'bench:steps', ctx.steps]);
        const h = build(d, ['-t', 'bench:steps', ctx.steps]);
        const b = build(d, ['-t', 'bench:big', ctx.big]);
        if (i === 0) continue; // warm-up round
        (d === ours ? cold.ours : cold.anchor).push(c);
        (d === ours ? cached.ours : cached.anchor).push(h);
        (d === ours ? big.ours : big.anchor).push(b);
      }
    }
  } finally {
    for (const d of both) await d.stop().catch(() => undefined);
    await reg.stop();
  }
  return { rows: [cold, cached, big], anchored: theirs !== undefined };
}
