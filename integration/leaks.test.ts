// 200 create/start/kill/delete cycles of a task must leave nothing behind: no mount, no FIFO, no
// shim process, no bundle, and tsctrd's open descriptors stay flat.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../client/connection.js';
import { createContainer, deleteContainer } from '../client/tasks/container.js';
import type { Tsctrd } from './harness.js';
import { type BusyboxDaemon, busyboxDaemon } from './fixture.js';

let d: Tsctrd;
let ref: string;
let fx: BusyboxDaemon;

beforeAll(async () => {
  fx = await busyboxDaemon('leak');
  ({ d, ref } = fx);
});
afterAll(async () => {
  await fx?.stop();
});

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const shimProcs = () =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return (
          readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('tsctr-shim.js') &&
          readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(d.address)
        );
      } catch {
        return false;
      }
    });
/** Shims serving a task; the one booted spare tsctrd keeps ready is counted apart. */
const isSpare = (p: string) => {
  try {
    return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes('spare');
  } catch {
    return false;
  }
};
const shims = () => shimProcs().filter((p) => !isSpare(p));
const spares = () => shimProcs().filter(isSpare);

describe('task lifecycle leaks', () => {
  it('200 create/start/kill/delete cycles leave no mount, fifo, process, fd or bundle', async () => {
    const c = new Connection({ address: d.address, namespace: 'leak' });
    try {
      await createContainer(c, { id: 'cyc', image: ref, args: ['sleep', '600'] });
      const { container } = await c.call(c.containers, c.containers.get, { id: 'cyc' });
      const { mounts } = await c.call(c.snapshots, c.snapshots.mounts, {
        snapshotter: container!.snapshotter,
        key: 'cyc',
      });
      const daemonPid = d.proc!.pid!;
      let baseline = 0;
      for (let i = 0; i < 200; i++) {
        await c.call(c.tasks, c.tasks.create, {
          containerId: 'cyc',
          rootfs: mounts,
          stdin: '',
          stdout: '',
          stderr: '',
          terminal: false,
          checkpoint: undefined,
          options: undefined,
          runtimePath: '',
        });
        const waiting = c.call(
          c.tasks,
          c.tasks.wait,
          { containerId: 'cyc', execId: '' },
          { noDeadline: true },
        );
        await c.call(c.tasks, c.tasks.start, { containerId: 'cyc', execId: '' });
        await c.call(c.tasks, c.tasks.kill, { containerId: 'cyc', execId: '', signal: 9, all: false });
        expect((await waiting).exitStatus).toBe(137);
        await c.call(c.tasks, c.tasks.delete, { containerId: 'cyc' });
        if (i === 9) baseline = fds(daemonPid);
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(fds(daemonPid)).toBeLessThanOrEqual(baseline + 3);
      expect(shims()).toEqual([]);
      expect(spares().length).toBeLessThanOrEqual(1);
      expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(d.state);
      const bundles = path.join(d.state, 'tasks', 'leak');
      expect(existsSync(bundles) ? readdirSync(bundles) : []).toEqual([]);
      const runcState = path.join(d.state, 'runc', 'leak');
      expect(existsSync(runcState) ? readdirSync(runcState) : []).toEqual([]);
      const sockets = path.join(d.state, 's');
      expect(existsSync(sockets) ? readdirSync(sockets) : []).toEqual([]);
      await deleteContainer(c, 'cyc');
    } finally {
      c.close();
    }
  }, 300_000);
});
