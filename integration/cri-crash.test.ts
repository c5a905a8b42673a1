// kill -9 of tsctrd with two pods running: after the restart both pods and their containers are listed
// with their state, IPs and logs (the logs keep growing), and removing them later leaks nothing
// (netns pins, host-local leases, iptables rules).
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RuntimeServiceClient } from '../api/gen/runtime/v1/api.js';
import { CriEnv } from './cri-harness.js';
import { until } from './wait.js';

let env: CriEnv;

beforeAll(async () => {
  env = await CriEnv.start();
}, 120_000);

afterAll(async () => {
  await env?.cleanup();
}, 120_000);

interface PodStatus {
  status: { id: string; state: string; network: { ip: string } };
  info: { info?: string } & Record<string, unknown>;
}

it('pods, containers, IPs and logs survive a kill -9 of tsctrd; later removal leaks nothing', async () => {
  await env.ok(['pull', env.images.busybox]);
  const pods: Array<{ pod: string; ctr: string; ip: string; log: string }> = [];
  for (const name of ['crash-a', 'crash-b']) {
    const podFile = await env.file(`${name}.json`, {
      metadata: { name, namespace: 'default', uid: `uid-${name}` },
      hostname: name,
      log_directory: path.join(env.d.dir, 'logs', name),
      linux: {},
    });
    const pod = await env.ok(['runp', podFile]);
    const ctrFile = await env.file(`${name}-ctr.json`, {
      metadata: { name: 'ticker' },
      image: { image: env.images.busybox },
      command: ['sh', '-c', 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done'],
      log_path: 'ticker.log',
      linux: {},
    });
    const ctr = await env.ok(['create', pod, ctrFile, podFile]);
    await env.ok(['start', ctr]);
    const st = JSON.parse(await env.ok(['inspectp', pod])) as PodStatus;
    pods.push({ pod, ctr, ip: st.status.network.ip, log: path.join(env.d.dir, 'logs', name, 'ticker.log') });
  }
  expect(pods[0].ip).not.toBe(pods[1].ip);
  for (const p of pods)
    await until(async () => (await fs.readFile(p.log, 'utf8')).includes('tick-2'), 20_000, 100);

  await env.d.kill9();
  await env.d.start(['--config', env.configFile]);

  const listed = await env.ok(['pods', '-q']);
  for (const p of pods) {
    expect(listed).toContain(p.pod);
    const st = JSON.parse(await env.ok(['inspectp', p.pod])) as PodStatus;
    expect(st.status.state).toBe('SANDBOX_READY');
    expect(st.status.network.ip).toBe(p.ip);
    const c = JSON.parse(await env.ok(['inspect', p.ctr])) as { status: { state: string } };
    expect(c.status.state).toBe('CONTAINER_RUNNING');
    // The log copier was reattached: lines written after the restart arrive.
    const before = (await fs.readFile(p.log, 'utf8')).split('\n').length;
    await until(async () => (await fs.readFile(p.log, 'utf8')).split('\n').length > before + 3, 20_000, 100);
    expect(await env.ok(['logs', '--tail', '1', p.ctr])).toMatch(/^tick-\d+$/);
    expect(await env.ok(['exec', '-s', p.ctr, 'hostname'])).toMatch(/^crash-[ab]$/);
  }

  // ReopenContainerLog (kubelet's log rotation; crictl has no command for it): after a rename the
  // copier keeps writing to the old file until reopened, then to a new file at log_path.
  const client = new RuntimeServiceClient(`unix://${env.d.address}`, credentials.createInsecure());
  try {
    await fs.rename(pods[0].log, `${pods[0].log}.1`);
    await new Promise<void>((resolve, reject) =>
      client.reopenContainerLog({ containerId: pods[0].ctr }, (err) => (err ? reject(err) : resolve())),
    );
    await until(
      async () => /stdout F tick-\d+/.test(await fs.readFile(pods[0].log, 'utf8').catch(() => '')),
      10_000,
      100,
    );
    const unknown = await new Promise<string>((resolve) =>
      client.reopenContainerLog({ containerId: 'nope' }, (err) => resolve(err?.message ?? 'ok')),
    );
    expect(unknown).toMatch(/NOT_FOUND/);
  } finally {
    client.close();
  }

  const ipam = path.join(env.d.dir, 'cni-ipam', env.network);
  const leases = async () => (await fs.readdir(ipam)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  expect((await leases()).sort()).toEqual(pods.map((p) => p.ip).sort());
  for (const p of pods) {
    await env.ok(['stopp', p.pod]);
    await env.ok(['rmp', p.pod]);
  }
  expect(await env.ok(['pods', '-q'])).toBe('');
  expect(await leases()).toEqual([]);
  const netns = path.join(env.d.state, 'cri', 'netns');
  expect(existsSync(netns) ? await fs.readdir(netns) : []).toEqual([]);
  const { execFileSync } = await import('node:child_process');
  const rules = execFileSync('iptables-save', { encoding: 'utf8' });
  for (const p of pods) expect(rules).not.toContain(p.ip);
  expect((await env.d.ctr(['containers', 'ls', '-q'], { ns: 'k8s.io' })).stdout.trim()).toBe('');
}, 240_000);
