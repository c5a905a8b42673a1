// The setup of the security and resource tests: a registry with a busybox image plus a static probe
// (uids and no_new_privs, keyctl, bind, unprivileged ICMP ping) in /usr/local/bin and setuid-root
// copies of it and of busybox in /suid, a tsctr-dockerd with that image pulled, and small helpers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Dockerd } from './dockerd-harness.js';
import { REPO } from './harness.js';
import { pushTestImage, startRegistry } from './registry.js';
import { buildImage, busyboxEntries } from './testimages.js';

export interface SecurityFixture {
  d: Dockerd;
  img: string;
  /** A temporary directory, removed by stop(). */
  tmp: string;
  /** `docker run --rm [opts] img sh -c script`: exit code and trimmed outputs. */
  sh(opts: string[], script: string): Promise<{ code: number; out: string; err: string }>;
  /** create through the API (fields the CLI does not send), then start -a and remove: status, logs or error. */
  apiRun(body: Record<string, unknown>): Promise<{ status: number; out: string; message: string }>;
  /** Starts another tsctr-dockerd on its own tsctrd with `args`, the image pulled (the caller cleans it up). */
  otherDaemon(args: string[]): Promise<Dockerd>;
  stop(): Promise<void>;
}

/** A shell line printing `Field:value` from /proc/self/status. */
export const statusField = (field: string): string => `grep '^${field}:' /proc/self/status | tr -d '\\t '`;

export async function securityFixture(): Promise<SecurityFixture> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tsctr-sec-'));
  const probe = path.join(tmp, 'sectest');
  execFileSync('gcc', ['-static', '-O1', '-o', probe, path.join(REPO, 'integration/clients/sectest.c')]);
  const bin = readFileSync(probe);
  const reg = await startRegistry();
  let d: Dockerd | undefined;
  try {
    const img = await pushTestImage(
      reg,
      'sec:latest',
      await buildImage([
        busyboxEntries(),
        [
          { name: 'usr/', type: 'directory' },
          { name: 'usr/local/', type: 'directory' },
          { name: 'usr/local/bin/', type: 'directory' },
          { name: 'usr/local/bin/sectest', data: bin, mode: 0o755 },
          // setuid-root copies: the probe, and busybox (whose `su` insists on running setuid).
          { name: 'suid/', type: 'directory' },
          { name: 'suid/sectest', data: bin, mode: 0o4755 },
          { name: 'suid/busybox', data: readFileSync('/bin/busybox'), mode: 0o4755 },
        ],
      ]),
    );
    const pulled = async (args: string[]) => {
      const daemon = await Dockerd.start(args);
      const p = await daemon.docker(['pull', img]);
      if (p.code !== 0) {
        await daemon.cleanup();
        throw new Error(`docker pull failed: ${p.stderr}`);
      }
      return daemon;
    };
    d = await pulled([]);
    const main = d;
    return {
      d,
      img,
      tmp,
      async sh(opts, script) {
        const r = await main.docker(['run', '--rm', ...opts, img, 'sh', '-c', script], { timeoutMs: 60_000 });
        return { code: r.code, out: r.stdout.trim(), err: r.stderr.trim() };
      },
      async apiRun(body) {
        const c = await main.request(
          'POST',
          '/v1.41/containers/create',
          JSON.stringify({ Image: img, ...body }),
          {
            'Content-Type': 'application/json',
          },
        );
        if (c.status !== 201)
          return { status: c.status, out: '', message: (JSON.parse(c.body) as { message: string }).message };
        const id = (JSON.parse(c.body) as { Id: string }).Id;
        const s = await main.docker(['start', '-a', id], { timeoutMs: 60_000 });
        await main.docker(['rm', '-f', id]);
        return { status: c.status, out: s.stdout.trim(), message: s.stderr.trim() };
      },
      otherDaemon: pulled,
      async stop() {
        await main.cleanup();
        await reg.stop();
        rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await d?.cleanup();
    await reg.stop();
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
