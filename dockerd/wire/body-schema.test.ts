import { describe, expect, it } from 'vitest';
import {
  authBody,
  checkBody,
  checkContentType,
  commitBody,
  containerCreateBody,
  execStartBody,
  volumeCreateBody,
} from './body-schema.js';

const msg = (body: unknown, schema = containerCreateBody): string => {
  try {
    checkBody(body, schema);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
};

describe('request body shapes', () => {
  it('accepts what the clients send, null included (the zero value)', () => {
    expect(
      msg({
        Image: 'x',
        Cmd: 'sh',
        Entrypoint: ['a', 'b'],
        Env: null,
        ExposedPorts: { '80/tcp': {} },
        Labels: { a: 'b' },
        Healthcheck: { Test: ['CMD', 'true'], Interval: 1000000 },
        HostConfig: { Memory: 0, PidsLimit: null, PortBindings: { '80/tcp': [{ HostPort: '8080' }] } },
        NetworkingConfig: { EndpointsConfig: { n: { Aliases: ['a'] } } },
        Unknown: { anything: 1 },
      }),
    ).toBe('ok');
    expect(msg(null)).toBe('ok');
    expect(msg(undefined, commitBody)).toBe('ok');
    expect(msg({ Detach: true, ConsoleSize: [24, 80] }, execStartBody)).toBe('ok');
    // Go matches field names case-insensitively.
    expect(msg({ image: 'x', hostconfig: { memory: 1 } })).toBe('ok');
  });

  it("refuses what Go's decoder refuses, with its wording", () => {
    expect(msg([1])).toBe(
      'json: cannot unmarshal array into Go value of type runconfig.ContainerConfigWrapper',
    );
    expect(msg('x', volumeCreateBody)).toBe(
      'json: cannot unmarshal string into Go value of type volume.CreateOptions',
    );
    expect(msg({ Image: 5 })).toBe(
      'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Image of type string',
    );
    expect(msg({ HostConfig: { Memory: 'x' } })).toBe(
      'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64',
    );
    expect(msg({ HostConfig: { Memory: 1.5 } })).toContain('cannot unmarshal number 1.5');
    expect(msg({ Labels: { a: 1 } })).toContain('ContainerConfigWrapper.Labels of type string');
    expect(msg({ Env: 'A=1' }, commitBody)).toBe(
      'json: cannot unmarshal string into Go struct field Config.Env of type []string',
    );
    expect(msg({ Labels: [] }, volumeCreateBody)).toContain('of type map[string]string');
    expect(msg({ username: 1 }, authBody)).toContain('AuthConfig.username of type string');
    expect(msg({ Detach: 'yes' }, execStartBody)).toContain('ExecStartCheck.Detach of type bool');
  });

  it("asks a body for application/json as dockerd's CheckForJSON", () => {
    expect(() => checkContentType(undefined, false)).not.toThrow();
    expect(() => checkContentType('application/json; charset=utf-8', true)).not.toThrow();
    expect(() => checkContentType('Application/JSON', true)).not.toThrow();
    expect(() => checkContentType('text/plain', true)).toThrow(
      "Content-Type specified (text/plain) must be 'application/json'",
    );
    expect(() => checkContentType(undefined, true)).toThrow(
      "Content-Type specified () must be 'application/json'",
    );
  });
});
