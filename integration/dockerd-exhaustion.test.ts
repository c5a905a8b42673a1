// Resource exhaustion at tsctr-dockerd's edge: idle and slowloris connections do not block another
// client; clients that go away in the middle of a stream (logs -f, events, attach, build, pull) leave
// no descriptor behind; a container logging as fast as it can does not starve another's logs; a pull
// onto a full root fails clearly, leaves no corrupt blob, and works once there is room.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerFixture, Dockerd, dockerFixture } from './dockerd-harness.js';
import { run, Tsctrd } from './harness.js';
import { pushTestImage, startRegistry } from './registry.js';
import { buildImage, busyboxEntries, tarOf } from './testimages.js';

let fx: DockerFixture;
let d: Dockerd;
let ref: string;

beforeAll(async () => {
  fx = await dockerFixture();
  ({ d, ref } = fx);
}, 90_000);

afterAll(async () => {
  await fx?.stop();
});

const fds = () => readdirSync(`/proc/${d.proc!.pid}/fd`).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a request, waits for the first bytes of the answer (or `ms`), then drops the connection. */
function dropMidStream(head: string, body: Buffer = Buffer.alloc(0), ms = 3000): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(d.socket);
    let got = 0;
    const t = setTimeout(() => s.destroy(), ms);
    s.on('data', (c: Buffer) => {
      got += c.length;
      // The headers and some of the stream: then the client vanishes.
      if (got > 200 || c.includes('\r\n\r\n')) setTimeout(() => s.destroy(), 50);
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(t);
      resolve(got);
    });
    s.write(head);
    if (body.length) s.write(body);
  });
}

async function fdsBackTo(base: number, slack: number): Promise<number> {
  let n = fds();
  for (let i = 0; i < 100 && n > base + slack; i++) {
    await sleep(100);
    n = fds();
  }
  return n;
}

describe('tsctr-dockerd under exhaustion', () => {
  it('500 idle and slowloris connections do not block docker version', async () => {
    const base = fds();
    const socks: net.Socket[] = [];
    const drip: NodeJS.Timeout[] = [];
    for (let i = 0; i < 500; i++) {
      const s = net.connect(d.socket);
      s.on('error', () => undefined);
      socks.push(s);
      if (i % 2 === 1) {
        // Slowloris: a request line, then a header byte now and then, never the blank line.
        s.write('GET /v1.41/info HTTP/1.1\r\nHost: d\r\n');
        drip.push(setInterval(() => s.write('X'), 500));
      }
    }
    await sleep(1000);
    const t0 = Date.now();
    const v = await d.docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 20_000 });
    const took = Date.now() - t0;
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.trim()).not.toBe('');
    expect(took).toBeLessThan(10_000);
    for (const t of drip) clearInterval(t);
    for (const s of socks) s.destroy();
    expect(await fdsBackTo(base, 5)).toBeLessThanOrEqual(base + 5);
  }, 60_000);

  it('clients leaving logs -f, events, attach, build and pull mid-stream leak no descriptor', async () => {
    const run = await d.docker(['run', '-d', ref, 'sh', '-c', 'while true; do echo tick; sleep 0.05; done']);
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.trim();
    const ctx = await tarOf([{ name: 'Dockerfile', data: `FROM ${ref}\nRUN sleep 2\n` }]);
    const req = (m: string, p: string, extra: string[] = [], len = 0) =>
      `${m} /v1.41${p} HTTP/1.1\r\nHost: d\r\n${[...extra, `Content-Length: ${len}`].join('\r\n')}\r\n\r\n`;
    const round = async () => {
      const got = await Promise.all([
        dropMidStream(req('GET', `/containers/${id}/logs?follow=1&stdout=1`)),
        dropMidStream(req('GET', '/events'), undefined, 500),
        dropMidStream(
          req('POST', `/containers/${id}/attach?stream=1&stdout=1&stderr=1`, [
            'Connection: Upgrade',
            'Upgrade: tcp',
          ]),
        ),
        dropMidStream(
          req('POST', `/build?nocache=1`, ['Content-Type: application/x-tar'], ctx.length),
          ctx,
          1500,
        ),
        dropMidStream(req('POST', `/images/create?fromImage=${encodeURIComponent(ref)}`)),
      ]);
      return got;
    };
    // A first round warms every path up (lazily opened files, pools), then the baseline.
    const first = await round();
    expect(first[0], 'logs -f streamed').toBeGreaterThan(0);
    await sleep(3000);
    const base = await fdsBackTo(fds(), 0);
    for (let i = 0; i < 10; i++) await round();
    await sleep(3000);
    const after = await fdsBackTo(base, 3);
    expect(after, `fds before ${base}, after ${after}`).toBeLessThanOrEqual(base + 3);
    // The daemon still answers, and the container still logs.
    const logs = await d.docker(['logs', '--tail', '1', id]);
    expect(logs.stdout).toContain('tick');
    await d.docker(['rm', '-f', id]);
  }, 120_000);

  it("a container logging as fast as it can does not starve another container's logs", async () => {
    const noisy = await d.docker(['run', '-d', '--log-opt', 'max-size=5m', ref, 'yes', 'x'.repeat(100)]);
    expect(noisy.code, noisy.stderr).toBe(0);
    const quiet = await d.docker([
      'run',
      '-d',
      ref,
      'sh',
      '-c',
      'for i in $(seq 1 20); do echo line$i; sleep 0.1; done',
    ]);
    expect(quiet.code, quiet.stderr).toBe(0);
    const w = await d.docker(['wait', quiet.stdout.trim()], { timeoutMs: 30_000 });
    expect(w.stdout.trim()).toBe('0');
    // Its lines reach its log within a few seconds of its exit, in order, none lost.
    const want = Array.from({ length: 20 }, (_, i) => `line${i + 1}`);
    let lines: string[] = [];
    for (let i = 0; i < 30 && lines.length < 20; i++) {
      if (i > 0) await sleep(500);
      const logs = await d.docker(['logs', quiet.stdout.trim()], { timeoutMs: 15_000 });
      lines = logs.stdout.split('\n').filter(Boolean);
    }
    expect(lines).toEqual(want);
    // And the noisy one's own logs are readable meanwhile.
    const t0 = Date.now();
    const tail = await d.docker(['logs', '--tail', '3', noisy.stdout.trim()], { timeoutMs: 15_000 });
    expect(tail.code).toBe(0);
    expect(tail.stdout).toContain('xxxx');
    expect(Date.now() - t0).toBeLessThan(10_000);
    await d.docker(['rm', '-f', noisy.stdout.trim(), quiet.stdout.trim()]);
  }, 90_000);
});

/** Every file in a blobs/sha256 directory below `dir`, with its name and the sha256 of its content. */
function blobsUnder(dir: string): Array<{ name: string; sum: string }> {
  const out: Array<{ name: string; sum: string }> = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (err) {
      // Removed meanwhile (a snapshot or ingest of the failed pull being cleaned up).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && path.basename(d) === 'sha256' && path.basename(path.dirname(d)) === 'blobs') {
        let data: Buffer;
        try {
          data = readFileSync(p);
        } catch (err) {
          // Collected meanwhile (the failed pull's content goes with its lease): not a corrupt blob.
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw err;
        }
        out.push({ name: e.name, sum: createHash('sha256').update(data).digest('hex') });
      }
    }
  };
  walk(dir);
  return out;
}

describe('a pull onto a full root', () => {
  it('fails with a clear error, leaves no corrupt blob, and works after space is freed', async () => {
    const reg = await startRegistry();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsctr-it-'));
    const t = new Tsctrd(dir);
    const d = new Dockerd(t);
    try {
      // 24 MiB that do not compress, onto a 16 MiB root.
      const img = await buildImage([busyboxEntries(), [{ name: 'big', data: randomBytes(24 << 20) }]]);
      const big = await pushTestImage(reg, 'big:latest', img);
      mkdirSync(t.root, { recursive: true });
      const m = await run('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', t.root]);
      expect(m.code, m.stderr).toBe(0);
      await t.start();
      await d.start();
      const p = await d.docker(['pull', big], { timeoutMs: 60_000 });
      expect(p.code).not.toBe(0);
      expect(p.stderr).toMatch(/no space left on device/i);
      for (const b of blobsUnder(t.root)) expect(b.sum, `blob ${b.name}`).toBe(b.name);
      const imgs = await d.docker(['images', '-q', big]);
      expect(imgs.stdout.trim()).toBe('');
      // Room again: the same pull works, and the image runs.
      const r = await run('mount', ['-o', 'remount,size=128m', t.root]);
      expect(r.code, r.stderr).toBe(0);
      const again = await d.docker(['pull', big], { timeoutMs: 60_000 });
      expect(again.code, again.stderr).toBe(0);
      const wc = await d.docker(['run', '--rm', big, 'wc', '-c', '/big'], { timeoutMs: 60_000 });
      expect(wc.stdout.trim()).toBe(`${24 << 20} /big`);
      for (const b of blobsUnder(t.root)) expect(b.sum, `blob ${b.name}`).toBe(b.name);
    } finally {
      await d.cleanup();
      await reg.stop();
    }
  }, 180_000);
});
