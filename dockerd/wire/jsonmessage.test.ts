import { describe, expect, it } from 'vitest';
import {
  auxMessage,
  encodeJson,
  errorMessage,
  humanSize,
  progressBar,
  progressMessage,
  statusMessage,
  streamMessage,
} from './jsonmessage.js';

describe('humanSize', () => {
  it('formats like go-units HumanSize', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(158)).toBe('158B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(1000)).toBe('1kB');
    expect(humanSize(19968)).toBe('19.97kB');
    expect(humanSize(1984178)).toBe('1.984MB');
    expect(humanSize(2129920)).toBe('2.13MB');
    expect(humanSize(1152512)).toBe('1.153MB');
    expect(humanSize(5 * 1000 ** 3)).toBe('5GB');
  });
});

describe('progressBar', () => {
  // Strings captured from a 20.10 engine (docker-trace pull_full and push).
  it('matches captured bars', () => {
    expect(progressBar(158, 158)).toBe('[==================================================>]     158B/158B');
    expect(progressBar(19968, 1984178)).toBe(
      '[>                                                  ]  19.97kB/1.984MB',
    );
    expect(progressBar(1152512, 1984178)).toBe(
      '[=============================>                     ]  1.153MB/1.984MB',
    );
    expect(progressBar(2057216, 1984178)).toBe(
      '[==================================================>]  2.057MB',
    );
    expect(progressBar(2129920, 1984178)).toBe(
      '[==================================================>]   2.13MB',
    );
  });

  it('handles missing totals', () => {
    expect(progressBar(0, 0)).toBe('');
    expect(progressBar(1500, 0)).toBe('   1.5kB');
  });
});

describe('messages', () => {
  it('builds progress and status lines in engine field order', () => {
    expect(encodeJson(progressMessage('59a181914273', 'Downloading', 158, 158))).toBe(
      '{"status":"Downloading","progressDetail":{"current":158,"total":158},"progress":"[==================================================\\u003e]     158B/158B","id":"59a181914273"}',
    );
    expect(encodeJson(statusMessage('Pulling fs layer', '59a181914273'))).toBe(
      '{"status":"Pulling fs layer","progressDetail":{},"id":"59a181914273"}',
    );
    expect(encodeJson(statusMessage('Digest: sha256:abc'))).toBe('{"status":"Digest: sha256:abc"}');
  });

  it('builds error, stream and aux lines', () => {
    expect(errorMessage('boom')).toEqual({ errorDetail: { message: 'boom' }, error: 'boom' });
    expect(JSON.stringify(errorMessage('boom', 2))).toBe(
      '{"errorDetail":{"code":2,"message":"boom"},"error":"boom"}',
    );
    expect(streamMessage('Step 1/2\n')).toEqual({ stream: 'Step 1/2\n' });
    expect(auxMessage({ ID: 'sha256:x' })).toEqual({ aux: { ID: 'sha256:x' } });
  });

  it('escapes like Go encoding/json', () => {
    expect(encodeJson({ a: '<a&b>' })).toBe('{"a":"\\u003ca\\u0026b\\u003e"}');
    expect(JSON.parse(encodeJson({ a: '<a&b>\u2028' }))).toEqual({ a: '<a&b>\u2028' });
    expect(encodeJson(undefined)).toBe('null');
  });
});
