// Bench images, built here from Debian's own packages (never pulled from the internet):
//  - debian: a bookworm minbase rootfs from debootstrap, split into 4 gzip layers (~200 MiB unpacked);
//  - manyfiles: one layer of 30,000 small files.
// Built once and cached under /var/tmp/tsctr-bench, then pushed to the bench's own local registry.
import { execFileSync, execSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Registry } from '../client/remotes/index.js';

export const CACHE = process.env.TSCTR_BENCH_CACHE ?? '/var/tmp/tsctr-bench';

interface Built {
  config: Buffer;
  manifest: Buffer;
  layers: string[]; // files of gzip layers
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function fileDigest(file: string): string {
  return `sha256:${execFileSync('sha256sum', [file]).toString().slice(0, 64)}`;
}

function mirror(): string {
  try {
    const src = readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8');
    const m = /^URIs:\s*(\S+)/m.exec(src);
    if (m) return m[1];
  } catch {
    // fall through
  }
  return 'http://deb.debian.org/debian';
}

function assemble(dir: string, layerFiles: string[]): Built {
  const diffIds = layerFiles.map(
    (f) => `sha256:${execSync(`gzip -dc ${f} | sha256sum`).toString().slice(0, 64)}`,
  );
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha(config),
        size: config.length,
      },
      layers: layerFiles.map((f) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: fileDigest(f),
        size: statSync(f).size,
      })),
    }),
  );
  writeFileSync(path.join(dir, 'config.json'), config);
  writeFileSync(path.join(dir, 'manifest.json'), manifest);
  return { config, manifest, layers: layerFiles };
}

function cached(dir: string, n: number): Built | undefined {
  const layers = Array.from({ length: n }, (_, i) => path.join(dir, `layer${i}.tar.gz`));
  if (!existsSync(path.join(dir, 'manifest.json')) || !layers.every(existsSync)) return undefined;
  return {
    config: readFileSync(path.join(dir, 'config.json')),
    manifest: readFileSync(path.join(dir, 'manifest.json')),
    layers,
  };
}

export function debianImage(): Built {
  const dir = path.join(CACHE, 'debian');
  const have = cached(dir, 4);
  if (have) return have;
  mkdirSync(dir, { recursive: true });
  const rootfs = path.join(CACHE, 'rootfs');
  if (!existsSync(path.join(rootfs, 'usr'))) {
    try {
      execSync('command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null', {
        stdio: 'ignore',
      });
      execFileSync('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror()], { stdio: 'ignore' });
    } catch {
      // No route to Debian's mirror right now: fall back to this (Debian 12) machine's own files,
      // a similar mix of binaries, libraries and data. The bench prints which one it used.
      execSync(`rm -rf ${rootfs} && mkdir -p ${rootfs}/usr`);
      const pick = [
        'usr/lib/python3.11',
        'usr/share/perl',
        'usr/share/perl5',
        'usr/share/i18n',
        'usr/share/zoneinfo',
        'usr/sbin',
        'usr/lib/apt',
        'usr/lib/systemd',
        'var/lib/dpkg',
        'usr/share/man',
        'etc',
      ];
      for (const p of pick)
        execSync(`mkdir -p ${rootfs}/${path.dirname(p)} && cp -a /${p} ${rootfs}/${p} 2>/dev/null || true`);
      writeFileSync(path.join(rootfs, 'SOURCE'), 'host copy (debootstrap unavailable)\n');
    }
  }
  // Four layers of comparable weight: shared libraries, share/, the rest of usr/, everything else.
  const groups = [
    ['usr/lib'],
    ['usr/share'],
    ['usr/bin', 'usr/sbin', 'usr/include', 'usr/libexec', 'usr/local', 'usr/games', 'usr/src'],
  ];
  const inGroups = new Set(groups.flat());
  const rest = readdirSync(rootfs).flatMap((e) =>
    e === 'usr'
      ? readdirSync(path.join(rootfs, 'usr'))
          .map((u) => `usr/${u}`)
          .filter((u) => !inGroups.has(u))
      : [e],
  );
  const all = [...groups.map((g) => g.filter((p) => existsSync(path.join(rootfs, p)))), rest];
  const files = all.map((paths, i) => {
    const f = path.join(dir, `layer${i}.tar.gz`);
    execSync(`tar --numeric-owner --xattrs -C ${rootfs} -cf - ${paths.join(' ')} | gzip -6 > ${f}`);
    return f;
  });
  return assemble(dir, files);
}

export function manyFilesImage(count = 30_000): Built {
  const dir = path.join(CACHE, 'manyfiles');
  const have = cached(dir, 1);
  if (have) return have;
  const tree = path.join(dir, 'tree');
  mkdirSync(tree, { recursive: true });
  for (let i = 0; i < count; i++) {
    const d = path.join(tree, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, `f${i}`), randomBytes(64 + (i % 512)).toString('hex'));
  }
  const f = path.join(dir, 'layer0.tar.gz');
  execSync(`tar --numeric-owner -C ${tree} -cf - . | gzip -6 > ${f}`);
  execSync(`rm -rf ${tree}`);
  return assemble(dir, [f]);
}

export async function pushBuilt(host: string, repoTag: string, b: Built): Promise<string> {
  const r = new Registry({});
  const ref = `${host}/${repoTag}`;
  const man = JSON.parse(b.manifest.toString()) as {
    config: { digest: string; size: number; mediaType: string };
    layers: Array<{ digest: string; size: number; mediaType: string }>;
  };
  for (let i = 0; i < b.layers.length; i++) {
    await r.pushBlob(ref, man.layers[i], readFileSync(b.layers[i]));
  }
  await r.pushBlob(ref, man.config, b.config);
  await r.pushManifest(
    ref,
    {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha(b.manifest),
      size: b.manifest.length,
    },
    b.manifest,
    {
      tag: repoTag.split(':')[1] ?? 'latest',
    },
  );
  return ref;
}
