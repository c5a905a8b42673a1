import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDaemonFile } from './config-file.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-daemonjson-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, body: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
  return p;
}

describe('daemon.json', () => {
  it('reads the keys tsctr-dockerd applies, and those whose value is what it always does', () => {
    const p = file('ok.json', {
      bip: '10.199.250.1/24',
      dns: ['127.0.0.1'],
      'live-restore': true,
      'userland-proxy': false,
      'log-driver': 'json-file',
      'no-new-privileges': true,
      debug: true,
    });
    expect(readDaemonFile(p)).toMatchObject({
      bip: '10.199.250.1/24',
      'no-new-privileges': true,
      debug: true,
    });
  });

  it("refuses unknown keys with dockerd's words", () => {
    const p = file('unknown.json', { bip: '10.199.250.1/24', 'max-concurrent-downloads': 3, foo: 1 });
    expect(() => readDaemonFile(p)).toThrow(
      `unable to configure the Docker daemon with file ${p}: the following directives don't match any configuration option: max-concurrent-downloads, foo`,
    );
  });

  it('refuses a known key with a value it would not honour, naming the key and why', () => {
    expect(() => readDaemonFile(file('lr.json', { 'live-restore': false }))).toThrow(
      /live-restore false is not supported: running containers always outlive tsctr-dockerd/,
    );
    expect(() => readDaemonFile(file('up.json', { 'userland-proxy': true }))).toThrow(
      /userland-proxy true is not supported: published ports are kernel NAT rules only/,
    );
    expect(() => readDaemonFile(file('sd.json', { 'storage-driver': 'vfs' }))).toThrow(
      /storage-driver "vfs"/,
    );
  });

  it('refuses a file that is not a JSON object', () => {
    expect(() => readDaemonFile(file('bad.json', '{"bip": '))).toThrow(
      /unable to configure the Docker daemon/,
    );
    expect(() => readDaemonFile(file('arr.json', []))).toThrow(/not a JSON object/);
  });

  it('makes tsctr-dockerd exit at start with that message', () => {
    const p = file('bad-daemon.json', { 'registry-mirrors': ['http://127.0.0.1:1'] });
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'cmd/tsctr-dockerd.ts', '--config-file', p], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "the following directives don't match any configuration option: registry-mirrors",
    );
  });
});
