// The docker build tests' shared setup: one test daemon with the test busybox also tagged
// `busybox:latest`, a work folder for contexts, and `docker build` through the classic builder.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { type DockerFixture, dockerFixture } from './dockerd-harness.js';
import type { RunResult } from './harness.js';

export interface BuildFixture {
  /** The daemon and registry (set once the suite's beforeAll has run). */
  readonly fx: DockerFixture;
  /** The suite's scratch folder (removed at the end). */
  readonly work: string;
  /** A new context folder holding `files` (paths may have folders). */
  ctx(files: Record<string, string>): string;
  /** `docker build ARGS` against the test daemon. */
  build(args: string[], opts?: { input?: string | Buffer }): Promise<RunResult>;
}

/** Registers the suite's beforeAll/afterAll and returns the fixture they fill. */
export function useBuildFixture(prefix: string): BuildFixture {
  let fx: DockerFixture | undefined;
  let work = '';
  beforeAll(async () => {
    process.env.DOCKER_BUILDKIT = '0';
    fx = await dockerFixture();
    const t = await fx.d.docker(['tag', fx.ref, 'busybox:latest']);
    expect(t.code, t.stderr).toBe(0);
    work = mkdtempSync(path.join(os.tmpdir(), prefix));
  }, 120_000);
  afterAll(async () => {
    await fx?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });
  return {
    get fx(): DockerFixture {
      if (!fx) throw new Error('the build fixture is not started yet');
      return fx;
    },
    get work(): string {
      return work;
    },
    ctx(files) {
      const dir = mkdtempSync(path.join(work, 'ctx-'));
      for (const [name, content] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), content);
      }
      return dir;
    },
    build(args, opts = {}) {
      return this.fx.d.docker(['build', ...args], { ...opts, timeoutMs: 120_000 });
    },
  };
}
