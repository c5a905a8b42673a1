// The containers service through the real ctr: create (which prepares a snapshot and mounts it
// client-side to read /etc/passwd), list, info, label and remove.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tsctrd } from './harness.js';
import { type BusyboxDaemon, busyboxDaemon } from './fixture.js';

let d: Tsctrd;
let ref: string;
let fx: BusyboxDaemon;

beforeAll(async () => {
  fx = await busyboxDaemon();
  ({ d, ref } = fx);
});
afterAll(async () => {
  await fx?.stop();
});

describe('ctr containers', () => {
  it('creates, lists, shows, labels and removes a container with its snapshot', async () => {
    const c = await d.ctr(['containers', 'create', '--label', 'team=a', ref, 'c1', 'echo', 'hi']);
    expect(c.code, c.stderr).toBe(0);
    const ls = await d.ctr(['containers', 'ls']);
    expect(ls.stdout).toMatch(
      new RegExp(`c1\\s+${ref.replace(/[.:/]/g, '\\$&')}\\s+io\\.containerd\\.runc\\.v2`),
    );
    const info = JSON.parse((await d.ctr(['containers', 'info', 'c1'])).stdout) as {
      ID: string;
      Labels: Record<string, string>;
      SnapshotKey: string;
      Spec: { process: { args: string[] }; root: { path: string } };
    };
    expect(info.ID).toBe('c1');
    expect(info.Labels.team).toBe('a');
    expect(info.Spec.process.args).toEqual(['echo', 'hi']);
    expect((await d.ctr(['snapshots', 'ls'])).stdout).toMatch(/^c1\s+sha256:[0-9a-f]{64}\s+Active/m);
    const lab = await d.ctr(['containers', 'label', 'c1', 'tier=gold']);
    expect(lab.stdout).toContain('tier=gold');
    const dup = await d.ctr(['containers', 'create', ref, 'c1']);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/already exists/);
    const rm = await d.ctr(['containers', 'rm', 'c1']);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await d.ctr(['containers', 'ls', '-q'])).stdout).not.toContain('c1');
    expect((await d.ctr(['snapshots', 'ls'])).stdout).not.toMatch(/^c1\s/m);
  });

  it('refuses ids that are not identifiers', async () => {
    const r = await d.ctr(['containers', 'create', ref, 'bad/id']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid argument/);
  });
});
