// Needs root: sandboxes are real network namespaces pinned under a temporary exec root.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../client/spec/index.js';
import { NotFound } from '../errdefs/index.js';
import type { ContainerRecord } from '../backend/types.js';
import { NetworkController } from './controller.js';
import { createNetns } from './netns.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'tsctr-netctl-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function container(id: string, mode: string, running = false, pid = 0): ContainerRecord {
  return {
    Id: id,
    HostConfig: { NetworkMode: mode },
    State: { Running: running, Pid: pid },
  } as ContainerRecord;
}
const recs = new Map<string, ContainerRecord>();
const lookup = {
  find: (ref: string) => recs.get(ref),
  get: (ref: string) => {
    const r = recs.get(ref);
    if (!r) throw new NotFound(`No such container: ${ref}`);
    return r;
  },
};
const ctl = new NetworkController(root, lookup, pino({ level: 'silent' }));
const baseSpec = (): Spec =>
  ({ linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'mount' }] } }) as Spec;
const netOf = (s: Spec) => s.linux?.namespaces?.filter((n) => n.type === 'network');

describe('NetworkController', () => {
  it('points the spec at the container own sandbox, the host, or another container', () => {
    const own = { rec: container('a', 'default'), spec: baseSpec(), dir: root };
    ctl.configureSpec(own);
    expect(netOf(own.spec)).toEqual([{ type: 'network', path: path.join(root, 'netns', 'a') }]);
    expect(own.spec.linux?.namespaces).toHaveLength(3);

    const none = { rec: container('n', 'none'), spec: baseSpec(), dir: root };
    ctl.configureSpec(none);
    expect(netOf(none.spec)?.[0].path).toBe(path.join(root, 'netns', 'n'));

    const host = { rec: container('h', 'host'), spec: baseSpec(), dir: root };
    ctl.configureSpec(host);
    expect(netOf(host.spec)).toEqual([]);

    recs.set('web', container('web', 'bridge', true, 4242));
    recs.set('hostweb', container('hostweb', 'host', true, 4343));
    recs.set('stopped', container('stopped', 'bridge'));
    const join = { rec: container('j', 'container:web'), spec: baseSpec(), dir: root };
    ctl.configureSpec(join);
    expect(netOf(join.spec)?.[0].path).toBe(path.join(root, 'netns', 'web'));
    const joinHost = { rec: container('k', 'container:hostweb'), spec: baseSpec(), dir: root };
    ctl.configureSpec(joinHost);
    expect(netOf(joinHost.spec)?.[0].path).toBe('/proc/4343/ns/net');
    expect(() =>
      ctl.configureSpec({ rec: container('l', 'container:stopped'), spec: baseSpec(), dir: root }),
    ).toThrow('cannot join network of a non running container: stopped');
    expect(() =>
      ctl.configureSpec({ rec: container('m', 'container:nosuch'), spec: baseSpec(), dir: root }),
    ).toThrow('No such container: nosuch');
  });

  it('makes the sandbox before a start and removes it at exit and removal', async () => {
    const rec = container('s1', 'default');
    await ctl.sandbox({ rec });
    const file = ctl.sandboxPath('s1');
    expect(existsSync(file)).toBe(true);
    // A second start after an exit we missed replaces the leftover instead of failing.
    await ctl.sandbox({ rec });
    await ctl.exited(rec);
    expect(existsSync(file)).toBe(false);
    await ctl.sandbox({ rec });
    await ctl.removed(rec);
    expect(existsSync(file)).toBe(false);
    // host and container: modes have no sandbox of their own.
    await ctl.sandbox({ rec: container('s2', 'host') });
    expect(existsSync(ctl.sandboxPath('s2'))).toBe(false);
  });

  it('after a restart, keeps the sandboxes of running containers and sweeps the rest', async () => {
    recs.set('live', container('live', 'default', true, 1));
    createNetns(ctl.sandboxPath('live'));
    createNetns(ctl.sandboxPath('gone'));
    writeFileSync(ctl.sandboxPath('stray'), '');
    await ctl.restored(container('dead', 'default'), 'stopped');
    expect(ctl.sweep()).toBe(2);
    expect(readdirSync(path.join(root, 'netns'))).toEqual(['live']);
    await ctl.restored(recs.get('live')!, 'stopped');
    expect(readdirSync(path.join(root, 'netns'))).toEqual([]);
  });
});
