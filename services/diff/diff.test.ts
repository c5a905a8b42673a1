import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from './apply.js';
import { compressGzip, writeDiff } from './diff.js';
import { S_IFCHR, mknod } from '../../pkg/sys/mknod.js';
import { lsetxattr } from '../../pkg/sys/xattr.js';
import {
  buildTar,
  collect,
  removeDir,
  sha256,
  snapshotTree,
  streamOf,
  tempDir,
  withOverlay,
} from './test-helpers.js';

const OCI_TAR = 'application/vnd.oci.image.layer.v1.tar';
// VFS_CAP_REVISION_2 with cap_net_raw permitted+effective: binary, NULs included.
const CAP_NET_RAW = Buffer.from('0100000200200000000000000000000000000000', 'hex');

describe('writeDiff', () => {
  let base: string;
  let lower: string;
  let upper: string;

  beforeEach(async () => {
    base = await tempDir('writediff');
    lower = path.join(base, 'lower');
    upper = path.join(base, 'upper');
    await fs.mkdir(lower);
    await fs.mkdir(upper);
    await applyLayer(
      streamOf(
        await buildTar([
          { name: 'etc/', type: 'directory' },
          { name: 'etc/old', content: 'old' },
          { name: 'opq/', type: 'directory' },
          { name: 'opq/hidden', content: 'hidden' },
        ]),
      ),
      OCI_TAR,
      { root: lower, lowers: [], mode: 'naive' },
    );
    await applyLayer(
      streamOf(
        await buildTar([
          { name: 'etc/.wh.old', uid: 3, gid: 4 },
          { name: 'opq/', type: 'directory', mode: 0o750 },
          { name: 'opq/.wh..wh..opq' },
          { name: 'opq/new', content: 'new', uid: 10, gid: 20, pax: { 'SCHILY.xattr.user.note': 'n' } },
          { name: 'bin/', type: 'directory' },
          { name: 'bin/ping', content: 'ping', mode: 0o4755 },
          { name: 'bin/ping2', type: 'link', linkname: 'bin/ping', mode: 0o4755 },
          { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
          { name: 'dev/', type: 'directory' },
          { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
          { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 },
          { name: 'dev/pipe', type: 'fifo', mode: 0o600 },
          { name: `long/${'d'.repeat(120)}/${'f'.repeat(120)}`, content: 'long name' },
          { name: 'ünïcødé', content: 'utf-8 name' },
        ]),
      ),
      OCI_TAR,
      { root: upper, lowers: [lower], mode: 'overlay' },
    );
    // Binary xattrs must survive the round trip byte for byte.
    lsetxattr(path.join(upper, 'bin/ping'), 'security.capability', CAP_NET_RAW);
    lsetxattr(path.join(upper, 'bin/ping'), 'user.bin', Buffer.from([0, 0xff, 0x80, 0x0a, 0x3d]));
  });
  afterEach(() => removeDir(base));

  it('re-applied into a fresh upper dir gives the same tree', async () => {
    const layer = await collect(writeDiff(upper, [lower]));
    const again = path.join(base, 'again');
    await fs.mkdir(again);
    const res = await applyLayer(streamOf(layer), OCI_TAR, { root: again, lowers: [lower], mode: 'overlay' });
    expect(res).toEqual({ diffId: sha256(layer), size: layer.length });
    // writeDiff keeps whole seconds of mtime (as containerd does); the root belongs to the snapshotter.
    const opts = { seconds: true, skipRoot: true };
    expect(await snapshotTree(again, opts)).toEqual(await snapshotTree(upper, opts));
  });

  it('writes OCI whiteouts, opaque markers and hard links other tar readers understand', async () => {
    const layer = await collect(writeDiff(upper, [lower]));
    const seen: { name: string; type: string; linkname?: string | null; pax?: Record<string, string> }[] = [];
    const extract = tar.extract();
    const done = (async () => {
      for await (const entry of extract) {
        const h = entry.header as tar.Header & { pax?: Record<string, string> | null };
        seen.push({ name: h.name, type: h.type ?? '', linkname: h.linkname, pax: h.pax ?? undefined });
        entry.resume();
      }
    })();
    extract.end(layer);
    await done;
    const names = seen.map((e) => e.name);
    expect(names).toContain('etc/.wh.old');
    expect(names.indexOf('opq/.wh..wh..opq')).toBe(names.indexOf('opq/') + 1);
    expect(names.filter((n) => n.startsWith('opq/'))).toEqual(['opq/', 'opq/.wh..wh..opq', 'opq/new']);
    expect(names).toContain(`long/${'d'.repeat(120)}/${'f'.repeat(120)}`);
    expect(names).toContain('ünïcødé');
    expect(seen.find((e) => e.name === 'bin/ping2')).toMatchObject({ type: 'link', linkname: 'bin/ping' });
    expect(seen.find((e) => e.name === 'opq/new')?.pax?.['SCHILY.xattr.user.note']).toBe('n');
    expect(names).toEqual([...names].sort());
    // GNU tar agrees on the listing.
    const gnu = execFileSync('tar', ['-t'], { input: layer }).toString().trim().split('\n');
    expect(gnu).toEqual(names);
  });

  it('is deterministic, and merges back to the same view as the original upper', async () => {
    const a = await collect(writeDiff(upper, [lower]));
    const b = await collect(writeDiff(upper, [lower]));
    expect(a.equals(b)).toBe(true);
    const again = path.join(base, 'again');
    await fs.mkdir(again);
    await applyLayer(streamOf(a), OCI_TAR, { root: again, lowers: [lower], mode: 'overlay' });
    const view = (u: string, name: string) =>
      withOverlay([lower], u, path.join(base, name), async (m) =>
        snapshotTree(m, { seconds: true, skipRoot: true }),
      );
    const first = await view(upper, 'm1');
    expect(first['etc/old']).toBeUndefined();
    expect(first['opq/hidden']).toBeUndefined();
    expect(await view(again, 'm2')).toEqual(first);
  });

  it('emits a whiteout for a 0/0 char device and skips overlay xattrs', async () => {
    const u = path.join(base, 'u2');
    await fs.mkdir(path.join(u, 'd'), { recursive: true });
    mknod(path.join(u, 'd/x'), S_IFCHR, 0n);
    lsetxattr(path.join(u, 'd'), 'trusted.overlay.opaque', Buffer.from('y'));
    lsetxattr(path.join(u, 'd'), 'trusted.overlay.origin', Buffer.from('zz'));
    const layer = await collect(writeDiff(u, []));
    const listing = execFileSync('tar', ['-tv', '--xattrs', '--xattrs-include=*'], {
      input: layer,
    }).toString();
    expect(listing).toMatch(/d\/\.wh\.x/);
    expect(listing).toMatch(/d\/\.wh\.\.wh\.\.opq/);
    expect(layer.includes(Buffer.from('trusted.overlay'))).toBe(false);
  });

  it('compressGzip gzips the stream', async () => {
    const plain = await collect(writeDiff(upper, [lower]));
    const gz = await collect(compressGzip(writeDiff(upper, [lower])));
    expect(gunzipSync(gz).equals(plain)).toBe(true);
  });
});
