import { describe, expect, it } from 'vitest';
import { cacheKey } from './cache.js';
import { emptyRunConfig } from './image-state.js';
import {
  exposedPorts,
  goDuration,
  goQuoteList,
  healthText,
  healthcheck,
  keyValues,
  setEnv,
} from './instructions.js';
import { parseDockerfile } from './parse.js';
import { envLookup } from './shell-lex.js';

const ins = (line: string) => parseDockerfile(`FROM x\n${line}\n`).stages[0].commands[0];

describe('metadata instructions', () => {
  it('reads k=v pairs and the legacy form, expanding values', () => {
    const env = envLookup(['H=/home']);
    expect(keyValues(ins('ENV a=b c="d e" p=$H/x'), env, '\\')).toEqual([
      ['a', 'b'],
      ['c', 'd e'],
      ['p', '/home/x'],
    ]);
    expect(keyValues(ins('ENV legacy some value'), env, '\\')).toEqual([['legacy', 'some value']]);
    expect(setEnv(['A=1', 'B=2'], 'A', '3')).toEqual(['A=3', 'B=2']);
  });

  it("writes dockerd's history texts", () => {
    expect(goQuoteList(['cat', '/a b'])).toBe('["cat" "/a b"]');
    const hc = healthcheck(
      ins('HEALTHCHECK --interval=5s --timeout=2s --retries=2 CMD wget x || exit 1'),
      [],
    );
    expect(hc).toEqual({ Test: ['CMD-SHELL', 'wget x || exit 1'], Interval: 5e9, Timeout: 2e9, Retries: 2 });
    expect(healthText(hc)).toBe('HEALTHCHECK &{["CMD-SHELL" "wget x || exit 1"] "5s" "2s" "0s" \'\\x02\'}');
    expect(goDuration(90e9)).toBe('1m30s');
    expect(healthcheck(ins('HEALTHCHECK NONE'), [])).toEqual({ Test: ['NONE'] });
  });

  it('expands EXPOSE ranges and protocols', () => {
    expect(exposedPorts(['80', '53/udp', '8000-8002'])).toEqual([
      '80/tcp',
      '53/udp',
      '8000/tcp',
      '8001/tcp',
      '8002/tcp',
    ]);
    expect(() => exposedPorts(['x'])).toThrow('invalid containerPort: x');
    // Found by the dockerfile fuzz target: a 32-bit range was expanded port by port (a hang).
    expect(() => exposedPorts(['1-4294967295'])).toThrow('invalid containerPort: 1-4294967295');
    expect(() => exposedPorts(['65536'])).toThrow('invalid containerPort');
  });
});

describe('cache key', () => {
  it("compares what moby's cache compares, order-insensitive for maps", () => {
    const a = {
      ...emptyRunConfig(),
      Cmd: ['/bin/sh', '-c', 'x'],
      Labels: { a: '1', b: '2' },
      Volumes: { '/v': {} },
    };
    const b = { ...a, Labels: { b: '2', a: '1' } };
    expect(cacheKey(a)).toBe(cacheKey(b));
    expect(cacheKey(a)).not.toBe(cacheKey({ ...a, Env: ['X=1'] }));
    expect(cacheKey(a)).not.toBe(cacheKey({ ...a, Cmd: ['/bin/sh', '-c', 'y'] }));
    expect(cacheKey(a)).not.toBe(cacheKey({ ...a, tsctrMounts: 'cache:x' } as typeof a));
  });
});
