import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Spec } from '../../client/spec/index.js';
import { Lifecycle, type LifecycleHooks } from './lifecycle.js';
import type { ContainerRecord } from './types.js';

const rec = { Id: 'c1' } as ContainerRecord;
const quiet = pino({ level: 'silent' });

function recorder(name: string, calls: string[], fail: string[] = []): LifecycleHooks {
  const step = (s: string) => () => {
    calls.push(`${name}:${s}`);
    if (fail.includes(s)) throw new Error(`${name} ${s} broke`);
  };
  return {
    name,
    configureSpec: step('configureSpec'),
    created: step('created'),
    sandbox: step('sandbox'),
    started: step('started'),
    exited: step('exited'),
    removed: step('removed'),
    restored: step('restored'),
  };
}

describe('Lifecycle', () => {
  it('calls every hook in registration order, at each step', async () => {
    const calls: string[] = [];
    const l = new Lifecycle(quiet);
    l.register(recorder('a', calls));
    l.register(recorder('b', calls));
    await l.configureSpec({ rec, spec: {} as Spec, dir: '/x' });
    await l.created(rec);
    await l.sandbox(rec);
    await l.started(rec);
    await l.exited(rec, { code: 0, ranMs: 5, startFailed: false });
    await l.removed(rec);
    await l.restored(rec, 'running');
    expect(calls).toEqual(
      ['configureSpec', 'created', 'sandbox', 'started', 'exited', 'removed', 'restored'].flatMap((s) => [
        `a:${s}`,
        `b:${s}`,
      ]),
    );
  });

  it('fails the operation when a hook fails before the task exists', async () => {
    const calls: string[] = [];
    const l = new Lifecycle(quiet);
    l.register(recorder('a', calls, ['sandbox', 'configureSpec']));
    l.register(recorder('b', calls));
    await expect(l.sandbox(rec)).rejects.toThrow('a sandbox broke');
    await expect(l.configureSpec({ rec, spec: {} as Spec, dir: '/x' })).rejects.toThrow(
      'a configureSpec broke',
    );
    expect(calls).toEqual(['a:sandbox', 'a:configureSpec']);
  });

  it('logs a hook failing after the fact and still runs the others', async () => {
    const calls: string[] = [];
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (s: string) => lines.push(s) });
    const l = new Lifecycle(log);
    l.register(recorder('a', calls, ['exited']));
    l.register(recorder('b', calls));
    await l.exited(rec, { code: 1, ranMs: 0, startFailed: false });
    expect(calls).toEqual(['a:exited', 'b:exited']);
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(line).toMatchObject({ id: 'c1', hook: 'a', step: 'exited', err: 'a exited broke' });
  });

  it('hands back the spec edits sandbox hooks ask for, in order', async () => {
    const l = new Lifecycle(quiet);
    l.register({ name: 'x', sandbox: (ctx) => ctx.editSpec((s) => ({ ...s, hostname: 'one' })) });
    l.register({
      name: 'y',
      sandbox: (ctx) => ctx.editSpec((s) => ({ ...s, hostname: `${s.hostname}-two` })),
    });
    l.register({ name: 'z' });
    const edits = await l.sandbox(rec);
    expect(edits.reduce((s, e) => e(s), {} as Spec).hostname).toBe('one-two');
    expect(await new Lifecycle(quiet).sandbox(rec)).toEqual([]);
  });
});
