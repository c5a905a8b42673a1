import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKind } from '../../api/errdefs.js';
import { BLOCK, type TarHeader, encodeHeader, padding } from './tar-format.js';
import { TarReader } from './tar-reader.js';
import { buildTar, removeDir, tempDir } from './test-helpers.js';

const header = (over: Partial<TarHeader>): TarHeader => ({
  name: 'f',
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 0,
  mtimeNs: 1_600_000_000n * 1_000_000_000n,
  linkname: '',
  devmajor: 0,
  devminor: 0,
  xattrs: new Map(),
  ...over,
});

function archive(entries: { h: TarHeader; data?: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const { h, data } of entries) {
    parts.push(encodeHeader(h));
    if (data) parts.push(data, Buffer.alloc(padding(data.length)));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

async function read(tar: Buffer): Promise<{ header: TarHeader; data: Buffer }[]> {
  let seen = 0;
  const reader = new TarReader(
    Readable.from([tar.subarray(0, 700), tar.subarray(700)]),
    (c) => (seen += c.length),
  );
  const out: { header: TarHeader; data: Buffer }[] = [];
  for await (const e of reader.entries()) {
    const chunks: Buffer[] = [];
    for await (const c of e.body()) chunks.push(c);
    out.push({ header: e.header, data: Buffer.concat(chunks) });
  }
  await reader.drain();
  expect(seen).toBe(tar.length);
  return out;
}

describe('tar format', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('tarfmt');
  });
  afterEach(() => removeDir(dir));

  it('round-trips what ustar cannot hold through PAX records', async () => {
    const hs = [
      header({ name: `${'a'.repeat(150)}/${'b'.repeat(150)}/c`, size: 3 }),
      header({ name: 'ünï', type: 'symlink', linkname: `/${'t'.repeat(200)}` }),
      header({ name: 'big-ids', uid: 3_000_000, gid: 4_000_000 }),
      header({ name: 'ns', mtimeNs: 1_600_000_000_123_456_789n, atimeNs: 1_700_000_000_500_000_000n }),
      header({ name: 'old', mtimeNs: -86_400_500_000_000n }),
      header({
        name: 'x',
        xattrs: new Map([['security.capability', Buffer.from([1, 0, 0, 2, 0, 0x20, 0xff])]]),
      }),
      header({ name: 'dev', type: 'char', devmajor: 136, devminor: 300_000 }),
      header({ name: 'dir', type: 'dir', mode: 0o1777 }),
    ];
    const got = await read(archive(hs.map((h) => ({ h, data: h.size ? Buffer.from('abc') : undefined }))));
    expect(got.map((g) => g.header)).toEqual(hs.map((h) => (h.type === 'dir' ? { ...h, name: 'dir/' } : h)));
    expect(got[0].data.toString()).toBe('abc');
  });

  it('reads what GNU tar writes, in gnu and posix formats', async () => {
    const src = path.join(dir, 'src');
    const long = `${'d'.repeat(98)}/${'f'.repeat(90)}`; // gnu: an L record; ustar: the prefix field
    await fs.mkdir(path.join(src, 'd'.repeat(98)), { recursive: true });
    await fs.writeFile(path.join(src, long), 'content');
    await fs.symlink('x'.repeat(150), path.join(src, 'link'));
    for (const format of ['gnu', 'posix', 'ustar']) {
      if (format === 'ustar') await fs.rm(path.join(src, 'link'));
      const tar = execFileSync('tar', ['-c', `--format=${format}`, '-C', src, '.'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const got = await read(tar);
      const file = got.find((g) => g.header.name === `./${long}`);
      expect(file?.data.toString(), format).toBe('content');
      if (format !== 'ustar')
        expect(got.find((g) => g.header.name === './link')?.header.linkname).toBe('x'.repeat(150));
    }
  });

  it('refuses corrupt headers and unsupported entry types', async () => {
    const good = await buildTar([{ name: 'a', content: 'a' }]);
    const bad = Buffer.from(good);
    bad[10] ^= 1;
    const err = await read(bad).catch((e: unknown) => e);
    expect(isKind(err, 'InvalidArgument')).toBe(true);
    expect(String(err)).toMatch(/checksum/);

    const volume = Buffer.from(encodeHeader(header({ name: 'vol' })));
    volume[156] = 'V'.charCodeAt(0);
    volume.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of volume) sum += b;
    volume.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    await expect(read(Buffer.concat([volume, Buffer.alloc(1024)]))).rejects.toThrow(
      /unsupported entry type "V"/,
    );

    const truncated = good.subarray(0, BLOCK + 1);
    await expect(read(truncated)).rejects.toThrow(/unexpected end/);
  });
});
