// Issue 2 end to end: the real ctr (Debian containerd 1.6 client) against a real tsctrd.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../client/connection.js';
import { writeBlob } from '../client/content.js';
import { Tsctrd, listTree, run } from './harness.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let d: Tsctrd;
beforeAll(async () => {
  d = await Tsctrd.start();
});
afterAll(async () => {
  await d?.cleanup();
});

describe('ctr version', () => {
  it('answers with the server version and a UUID that survives restarts', async () => {
    const r = await d.ctr(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Server:\n\s+Version:\s+1\.6\.20\+tsctr/);
    const uuid = /UUID: ([0-9a-f-]{36})/.exec(r.stdout)?.[1];
    expect(uuid).toBeDefined();
    await d.restart();
    const again = await d.ctr(['version']);
    expect(again.stdout).toContain(`UUID: ${uuid}`);
  });
});

describe('ctr namespaces', () => {
  it('creates, labels, lists and removes a namespace', async () => {
    expect((await d.ctr(['namespaces', 'create', 'nsone', 'team=a'])).code).toBe(0);
    expect((await d.ctr(['namespaces', 'label', 'nsone', 'tier=gold'])).code).toBe(0);
    const ls = await d.ctr(['namespaces', 'ls']);
    expect(ls.code).toBe(0);
    const row = ls.stdout.split('\n').find((l) => l.startsWith('nsone'));
    expect(row?.split(/\s+/)[1]?.split(',').sort()).toEqual(['team=a', 'tier=gold']);
    const dup = await d.ctr(['namespaces', 'create', 'nsone']);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/already exists/);
    expect((await d.ctr(['namespaces', 'rm', 'nsone'])).code).toBe(0);
    expect((await d.ctr(['namespaces', 'ls', '-q'])).stdout.split('\n')).not.toContain('nsone');
  });

  it('refuses to remove a namespace that still holds blobs', async () => {
    const data = randomBytes(1000);
    expect((await d.ctr(['content', 'ingest', 'keep-me'], { input: data, ns: 'busy' })).code).toBe(0);
    const r = await d.ctr(['namespaces', 'rm', 'busy']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('namespace "busy" must be empty, but it still has blobs');
    expect((await d.ctr(['namespaces', 'ls', '-q'])).stdout.split('\n')).toContain('busy');
    expect((await d.ctr(['content', 'rm', sha(data)], { ns: 'busy' })).code).toBe(0);
    expect((await d.ctr(['namespaces', 'rm', 'busy'])).code).toBe(0);
  });

  it('refuses a namespace that is not an identifier and writes nothing', async () => {
    const before = await listTree(d.root);
    const r = await d.ctr(['content', 'ingest', 'x'], { input: 'hello', ns: 'a/b' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid argument/);
    expect(await listTree(d.root)).toEqual(before);
  });
});

describe('ctr content', () => {
  it('ingests piped data, lists, reads back, labels and removes it', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const dg = sha(data);
    const ing = await d.ctr(
      ['content', 'ingest', '--expected-size', String(data.length), '--expected-digest', dg, 'my-ref'],
      { input: data },
    );
    expect(ing.stderr).toBe('');
    expect(ing.code).toBe(0);
    const ls = await d.ctr(['content', 'ls']);
    expect(ls.stdout).toMatch(new RegExp(`${dg}\\s+3\\.146MB\\s+(Less than a second|\\d+ seconds)\\s+-`));
    const blob = await fs.readFile(path.join(d.root, 'content', 'blobs', 'sha256', dg.slice(7)));
    expect(blob.equals(data)).toBe(true);
    const lab = await d.ctr(['content', 'label', dg, 'containerd.io/gc.root=yes', 'x=1']);
    expect(lab.code).toBe(0);
    expect(lab.stdout.trim().split(',').sort()).toEqual(['containerd.io/gc.root=yes', 'x=1']);
    const ls2 = await d.ctr(['content', 'ls']);
    // ctr prints labels in Go map order: compare them as a set.
    const row = ls2.stdout.split('\n').find((l) => l.startsWith(dg)) ?? '';
    expect(row.split(/\s+/).pop()?.split(',').sort(), ls2.stdout).toEqual([
      'containerd.io/gc.root=yes',
      'x=1',
    ]);
    const rm = await d.ctr(['content', 'rm', dg]);
    expect(rm.code).toBe(0);
    expect(rm.stdout.trim()).toBe(dg);
    expect((await d.ctr(['content', 'ls', '-q'])).stdout).not.toContain(dg);
  });

  it('returns the exact bytes through ctr content get', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 5);
    expect((await d.ctr(['content', 'ingest', 'get-ref'], { input: data })).code).toBe(0);
    const out = path.join(d.dir, 'out.bin');
    const r = await run('sh', ['-c', `ctr -a ${d.address} content get ${sha(data)} > ${out}`]);
    expect(r.code).toBe(0);
    expect((await fs.readFile(out)).equals(data)).toBe(true);
  });

  it('refuses a blob whose bytes do not match the expected digest and stores nothing', async () => {
    const data = randomBytes(4096);
    const wrong = sha(Buffer.from('something else'));
    const r = await d.ctr(['content', 'ingest', '--expected-digest', wrong, 'bad-ref'], { input: data });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unexpected commit digest/);
    expect((await d.ctr(['content', 'ls', '-q'])).stdout).not.toContain(sha(data));
    expect(existsSync(path.join(d.root, 'content', 'blobs', 'sha256', sha(data).slice(7)))).toBe(false);
  });

  it('refuses refs that try to climb out, and writes nothing outside the root', async () => {
    const parent = await listTree(d.dir);
    const r = await d.ctr(['content', 'ingest', '../../x'], { input: 'payload' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid argument/);
    const after = (await listTree(d.dir)).filter((p) => !p.startsWith('root/') && !p.startsWith('state/'));
    expect(after).toEqual(parent.filter((p) => !p.startsWith('root/') && !p.startsWith('state/')));
  });

  it('shows an unfinished ingest in ctr content active', async () => {
    const c = new Connection({ address: d.address });
    try {
      const first = randomBytes(1 << 20);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      async function* slow() {
        yield first;
        await gate;
        yield randomBytes(10);
      }
      const writing = writeBlob(c, 'slow-ref', slow());
      let active = '';
      // The ingest is listed from its first message on; its size once the first MiB has landed (on a
      // loaded machine that can be a poll or two later).
      for (let i = 0; i < 50 && !/slow-ref\s+1\.049MB/.test(active); i++) {
        await new Promise((r) => setTimeout(r, 50));
        active = (await d.ctr(['content', 'active'])).stdout;
      }
      expect(active).toMatch(/slow-ref\s+1\.049MB/);
      release();
      await writing;
      expect((await d.ctr(['content', 'active'])).stdout).not.toContain('slow-ref');
    } finally {
      c.close();
    }
  });
});

describe('ctr leases', () => {
  it('creates, lists and removes leases', async () => {
    const mk = await d.ctr(['leases', 'create', '--id', 'lease-one', 'owner=test']);
    expect(mk.code).toBe(0);
    const ls = await d.ctr(['leases', 'ls']);
    const row = ls.stdout.split('\n').find((l) => l.startsWith('lease-one')) ?? '';
    const labels = row.split(/\s+/)[2]?.split(',').sort() ?? [];
    expect(labels).toHaveLength(2);
    expect(labels[0]).toMatch(/^containerd\.io\/gc\.expire=\d{4}-/);
    expect(labels[1]).toBe('owner=test');
    expect((await d.ctr(['leases', 'rm', 'lease-one'])).code).toBe(0);
    expect((await d.ctr(['leases', 'ls', '-q'])).stdout).not.toContain('lease-one');
  });
});

describe('ctr events', () => {
  it('streams namespace and content events as objects change', async () => {
    const { spawn } = await import('node:child_process');
    const ev = spawn('ctr', ['-a', d.address, 'events'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const data = randomBytes(100);
    ev.stdout.on('data', (b: Buffer) => (out += b.toString()));
    try {
      await new Promise((r) => setTimeout(r, 300));
      await d.ctr(['namespaces', 'create', 'evns', 'k=v']);
      await d.ctr(['content', 'ingest', 'ev-ref'], { input: data, ns: 'evns' });
      await d.ctr(['content', 'rm', sha(data)], { ns: 'evns' });
      await d.ctr(['namespaces', 'rm', 'evns']);
      for (let i = 0; i < 40 && !out.includes('/namespaces/delete'); i++)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      ev.kill('SIGINT');
    }
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \+0000 UTC evns \/namespaces\/create \{"name":"evns","labels":\{"k":"v"\}\}$/,
    );
    expect(out).toContain(`evns /content/delete {"digest":"${sha(data)}"}`);
    expect(lines.map((l) => l.split(' ')[5])).toEqual([
      '/namespaces/create',
      '/content/delete',
      '/namespaces/delete',
    ]);
  });
});
