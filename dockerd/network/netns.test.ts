// Needs root (unshare, mount): the suite runs as root.
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createNetns, removeNetns, withNetns } from './netns.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-netns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mounted = (f: string) => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${f} `);

describe('netns', () => {
  it('pins a new namespace with only loopback, up, and leaves the caller where it was', () => {
    const f = path.join(dir, 'a');
    const home = readlinkSync('/proc/thread-self/ns/net');
    const before = Object.keys(os.networkInterfaces()).sort();
    createNetns(f);
    try {
      expect(mounted(f)).toBe(true);
      const inside = withNetns(f, () => os.networkInterfaces());
      expect(Object.keys(inside)).toEqual(['lo']);
      expect(inside.lo?.map((a) => a.address)).toContain('127.0.0.1');
      // Back home: the host's interfaces again.
      expect(Object.keys(os.networkInterfaces()).sort()).toEqual(before);
      expect(readlinkSync('/proc/thread-self/ns/net')).toBe(home);
      expect(withNetns(f, () => readlinkSync('/proc/thread-self/ns/net'))).not.toBe(home);
    } finally {
      removeNetns(f);
    }
    expect(existsSync(f)).toBe(false);
    expect(mounted(f)).toBe(false);
  });

  it('refuses to reuse an existing file, and removal is idempotent', () => {
    const f = path.join(dir, 'b');
    createNetns(f);
    expect(() => createNetns(f)).toThrow(/EEXIST/);
    removeNetns(f);
    removeNetns(f);
    expect(existsSync(f)).toBe(false);
  });

  it('comes back home when the work inside fails', () => {
    const f = path.join(dir, 'c');
    createNetns(f);
    const before = Object.keys(os.networkInterfaces()).sort();
    expect(() =>
      withNetns(f, () => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(Object.keys(os.networkInterfaces()).sort()).toEqual(before);
    removeNetns(f);
  });
});
