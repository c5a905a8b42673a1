// Create bodies the fuzzer (integration/fuzz, target create-body) found crashing the daemon with a
// TypeError (a 500): each is now a 400 with Docker's kind of message, or accepted when Docker accepts it.
import { describe, expect, it } from 'vitest';
import { InvalidParameter } from '../../errdefs/index.js';
import { buildSpec } from '../spec.js';
import { type ContainerRecord, type CreateBody, createdState } from '../types.js';
import { checkBodyShape } from './body-shape.js';
import { checkConfig, normalizeHostConfig } from './create.js';

async function validate(text: string) {
  const body = JSON.parse(text) as CreateBody;
  checkConfig(body);
  const hc = normalizeHostConfig(body.HostConfig);
  const rec = {
    Id: 'a'.repeat(64),
    Path: '/bin/sh',
    Args: [],
    Config: { ...body, Env: [] },
    HostConfig: hc,
    Mounts: [],
    State: createdState(),
  } as unknown as ContainerRecord;
  return buildSpec({ rec, image: {}, users: {} });
}

describe('create body validation', () => {
  it.each([
    ['{"Image":"busybox","User":[true,1e+308]}', 'Config.User of type string'],
    ['{"Image":"busybox","HostConfig":{"CapAdd":[null]}}', 'HostConfig.CapAdd of type string'],
    ['{"Image":"busybox","Tty":"/","Env":18306}', 'Config.Tty of type bool'],
    ['{"Image":"busybox","Env":18306}', 'Config.Env of type []string'],
    ['{"Image":"busybox","HostConfig":{"GroupAdd":-1e+308}}', 'HostConfig.GroupAdd of type []string'],
    ['{"Image":"busybox","HostConfig":{"Ulimits":[null]}}', 'HostConfig.Ulimits of type units.Ulimit'],
    ['{"Image":"busybox","HostConfig":{"Memory":1.5}}', 'HostConfig.Memory of type int64'],
    ['{"Image":"busybox","HostConfig":{"Ulimits":[{"Soft":512,"Hard":2048}]}}', 'invalid ulimit type: '],
    ['{"Image":"busybox","HostConfig":{"Ulimits":[{"Name":"nofile","Soft":9,"Hard":2}]}}', 'soft limit'],
  ])('refuses %s with a 400', async (text, message) => {
    const err = await validate(text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidParameter);
    expect((err as Error).message).toContain(message);
  });

  it('takes one string for CapAdd and CapDrop (a StrSlice, as dockerd)', async () => {
    const spec = await validate('{"Image":"busybox","HostConfig":{"CapAdd":"NET_ADMIN","CapDrop":"CHOWN"}}');
    expect(spec.process?.capabilities?.bounding).toContain('CAP_NET_ADMIN');
    expect(spec.process?.capabilities?.bounding).not.toContain('CAP_CHOWN');
  });

  it('leaves what Go ignores alone: nulls, unknown fields, Cmd as one string', () => {
    expect(() =>
      checkBodyShape({
        Image: 'x',
        Cmd: 'echo hi',
        Labels: null,
        HostConfig: { Foo: [1], Binds: null },
      } as CreateBody),
    ).not.toThrow();
  });
});
