// Golden test: the specs the real `ctr` 1.6 builds (client side) must deep-equal ours for the same inputs.
// It starts Debian's containerd on a temporary root, state and socket, imports a tiny image (busybox plus an
// /etc/passwd and /etc/group) in a few image configs, creates containers with ctr and reads their specs back
// with `ctr containers info`.
//
// ctr 1.6 has no --user flag: the user always comes from the image config's User, so each user case is an
// image of its own (same layer, different config).
//
// Fields that legitimately differ: none of the spec. ctr's `--net-host` puts the host's hostname in HOSTNAME,
// which the test reads the same way (os.hostname()), and `--privileged` uses the caller's capabilities and the
// host's /dev, which the test reads with currentCapabilities() and hostDevices().
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageConfig } from '../images/oci.js';
import { currentCapabilities } from './caps.js';
import { defaultSpec } from './default.js';
import { hostDevices } from './devices.js';
import {
  applyOpts,
  withAllDevicesAllowed,
  withAnnotations,
  withCpuCfs,
  withCpuShares,
  withCpus,
  withCwd,
  withEnv,
  withHostHostsFile,
  withHostNamespace,
  withHostResolvconf,
  withImageConfig,
  withLinuxDevices,
  withMemoryLimit,
  withMounts,
  withPrivileged,
  withProcessArgs,
  withTty,
  type ImageExecConfig,
  type SpecOpt,
} from './index.js';
import type { Spec } from './types.js';
import { readUserDb, type UserDb } from './users.js';

const CONTAINERD = '/usr/bin/containerd';
const CTR = '/usr/bin/ctr';
const NS = 'tsctr-spec';
const canRun = process.getuid?.() === 0 && existsSync(CONTAINERD) && existsSync(CTR);

// The image's files: every config below shares this one layer.
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n';
const GROUP = 'root:x:0:\nwheel:x:10:root,app\naudio:x:29:app\napp:x:1000:app\n';

// Image configs by tag, each exercising a different path of WithImageConfig.
const CONFIGS: Record<string, ImageExecConfig> = {
  // a user by name, an entrypoint, a working dir, an env with PATH
  user: {
    User: 'app',
    Env: ['PATH=/bin:/usr/bin', 'A=0', 'B=2'],
    Entrypoint: ['/bin/busybox'],
    Cmd: ['sh'],
    WorkingDir: '/home/app',
  },
  // no user, no env (default PATH), no working dir
  plain: { Cmd: ['sh'] },
  // numeric uid:gid, no lookups for the primary ids
  uidgid: { User: '1000:10', Env: ['PATH=/bin'], Cmd: ['sh'] },
  // user:group by names
  usergroup: { User: 'app:audio', Env: ['PATH=/bin'], Cmd: ['sh'] },
  // a uid missing from /etc/passwd
  unknownuid: { User: '4242', Env: ['PATH=/bin'], Entrypoint: ['/bin/sh', '-c'], Cmd: ['id'] },
};

// An image config as the images code types it must be usable as withImageConfig's input.
export const imageConfigFits = (c: NonNullable<ImageConfig['config']>): ImageExecConfig => c;

const MTIME = new Date('2024-01-01T00:00:00Z');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface TarEntry {
  name: string;
  data?: Buffer | string;
  mode?: number;
}

async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  for (const e of entries) {
    const data = e.data === undefined ? undefined : Buffer.from(e.data);
    await new Promise<void>((resolve, reject) =>
      p.entry(
        {
          name: e.name,
          type: data ? 'file' : 'directory',
          mode: e.mode ?? (data ? 0o644 : 0o755),
          mtime: MTIME,
          size: data?.length ?? 0,
        },
        data ?? Buffer.alloc(0),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** An OCI layout tar holding one image per CONFIGS entry, named `tsctr.test/spec:<tag>`. */
async function buildLayout(): Promise<Buffer> {
  const layerTar = await tarOf([
    { name: 'bin/' },
    { name: 'bin/busybox', data: readFileSync('/bin/busybox'), mode: 0o755 },
    { name: 'etc/' },
    { name: 'etc/passwd', data: PASSWD },
    { name: 'etc/group', data: GROUP },
    { name: 'home/' },
    { name: 'home/app/' },
    { name: 'tmp/', mode: 0o1777 },
  ]);
  const layer = gzipSync(layerTar, { level: 1 });
  const blobs = new Map<string, Buffer>([[sha256(layer), layer]]);
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const manifests = Object.entries(CONFIGS).map(([tag, cfg]) => {
    const full = {
      architecture: arch,
      os: 'linux',
      created: MTIME.toISOString(),
      config: cfg,
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layerTar)}`] },
    };
    const config = Buffer.from(JSON.stringify(full));
    blobs.set(sha256(config), config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: `sha256:${sha256(config)}`,
          size: config.length,
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: `sha256:${sha256(layer)}`,
            size: layer.length,
          },
        ],
      }),
    );
    blobs.set(sha256(manifest), manifest);
    return {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${sha256(manifest)}`,
      size: manifest.length,
      annotations: { 'io.containerd.image.name': `tsctr.test/spec:${tag}` },
    };
  });
  const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests };
  return tarOf([
    { name: 'oci-layout', data: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
    { name: 'index.json', data: JSON.stringify(index) },
    { name: 'blobs/' },
    { name: 'blobs/sha256/' },
    ...[...blobs].map(([hex, data]) => ({ name: `blobs/sha256/${hex}`, data })),
  ]);
}

interface CtrResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe.skipIf(!canRun)('spec compared with the real ctr 1.6', () => {
  let dir = '';
  let sock = '';
  let daemon: ChildProcess | undefined;
  let daemonLog = '';
  let rootfs = '';
  let users: UserDb = {};

  const ctr = (args: string[]): Promise<CtrResult> =>
    new Promise((resolve) => {
      execFile(
        CTR,
        ['-a', sock, '-n', NS, ...args],
        { env: { ...process.env, TMPDIR: dir }, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });

  const ok = async (args: string[]): Promise<string> => {
    const r = await ctr(args);
    if (r.code !== 0) throw new Error(`ctr ${args.join(' ')} failed (${r.code}): ${r.stderr}\n${daemonLog}`);
    return r.stdout;
  };

  /** The spec ctr stored for container `id` (as JSON, so the comparison is of what goes on the wire). */
  const ctrSpec = async (id: string): Promise<Spec> =>
    (JSON.parse(await ok(['containers', 'info', id])) as { Spec: Spec }).Spec;

  const ours = (id: string, ...opts: SpecOpt[]): Spec =>
    JSON.parse(JSON.stringify(applyOpts(defaultSpec(NS, id), ...opts))) as Spec;

  // ctr applies its options in this order: default spec and devices, --env, --mount, the image config,
  // args, --cwd, --tty, --privileged, --net-host, resources, then the labels as annotations.
  const image = (tag: string): SpecOpt => withImageConfig(CONFIGS[tag], users);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tsctr-spec-'));
    sock = path.join(dir, 'containerd.sock');
    await writeFile(
      path.join(dir, 'config.toml'),
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",',
        '  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",',
        '  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",',
        '  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]',
        '[grpc]',
        `  address = "${sock}"`,
        '[debug]',
        '  address = ""',
        '[metrics]',
        '  address = ""',
        '',
      ].join('\n'),
    );
    daemon = spawn(CONTAINERD, ['-c', path.join(dir, 'config.toml')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, TMPDIR: dir },
    });
    daemon.stderr?.on('data', (c: Buffer) => {
      daemonLog = (daemonLog + c.toString()).slice(-20_000);
    });
    const deadline = Date.now() + 30_000;
    while ((await ctr(['version'])).code !== 0) {
      if (daemon.exitCode !== null || Date.now() > deadline)
        throw new Error(`containerd did not start:\n${daemonLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const tarPath = path.join(dir, 'image.tar');
    await writeFile(tarPath, await buildLayout());
    await ok(['images', 'import', tarPath]);

    // Our side reads the same /etc files from a copy of the image's root filesystem.
    rootfs = path.join(dir, 'rootfs');
    await mkdir(path.join(rootfs, 'etc'), { recursive: true });
    await writeFile(path.join(rootfs, 'etc/passwd'), PASSWD);
    await writeFile(path.join(rootfs, 'etc/group'), GROUP);
    users = await readUserDb(rootfs);
  }, 120_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon?.once('exit', r));
      daemon.kill('SIGTERM');
      const timer = setTimeout(() => daemon?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (dir) {
      // Anything the daemon or ctr left mounted below our directory goes first, deepest first.
      const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
        .split('\n')
        .map((l) => l.split(' ')[4])
        .filter((m): m is string => m !== undefined && m.startsWith(dir))
        .sort((a, b) => b.length - a.length);
      for (const m of mounts) {
        await new Promise((r) => execFile('umount', ['-l', m], r));
      }
      await rm(dir, { recursive: true, force: true });
    }
    // With the opt plugin disabled and no task ever started (--null-io, a runtime that does not exist),
    // nothing is written to /run/containerd (checked): all state is below `dir`.
  }, 60_000);

  it('the image config with a named user, --env, --cwd and args', async () => {
    await ok([
      'containers',
      'create',
      '--env',
      'A=1',
      '--env',
      'C=3',
      '--cwd',
      '/tmp',
      'tsctr.test/spec:user',
      'c-user',
      '--', // ctr reorders flags that follow the arguments: `-c` would be its --config
      'sh',
      '-c',
      'echo hi',
    ]);
    const got = await ctrSpec('c-user');
    expect(got.process?.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000, 10, 29] });
    expect(got.process?.env).toEqual(['PATH=/bin:/usr/bin', 'A=1', 'B=2', 'C=3']);
    expect(
      ours(
        'c-user',
        withEnv(['A=1', 'C=3']),
        image('user'),
        withProcessArgs('sh', '-c', 'echo hi'),
        withCwd('/tmp'),
      ),
    ).toStrictEqual(got);
  });

  it('an image without user, env or working dir, and the image command', async () => {
    await ok(['containers', 'create', 'tsctr.test/spec:plain', 'c-plain']);
    const got = await ctrSpec('c-plain');
    expect(got.process?.user.additionalGids).toEqual([0, 10]);
    expect(ours('c-plain', image('plain'))).toStrictEqual(got);
  });

  for (const tag of ['uidgid', 'usergroup', 'unknownuid']) {
    it(`image user ${CONFIGS[tag].User}`, async () => {
      await ok(['containers', 'create', `tsctr.test/spec:${tag}`, `c-${tag}`]);
      expect(ours(`c-${tag}`, image(tag))).toStrictEqual(await ctrSpec(`c-${tag}`));
    });
  }

  it('--tty and --memory-limit', async () => {
    await ok([
      'containers',
      'create',
      '--tty',
      '--memory-limit',
      '268435456',
      'tsctr.test/spec:user',
      'c-tty',
    ]);
    expect(ours('c-tty', image('user'), withTty(true), withMemoryLimit(268435456))).toStrictEqual(
      await ctrSpec('c-tty'),
    );
  });

  it('--net-host', async () => {
    await ok(['containers', 'create', '--net-host', 'tsctr.test/spec:plain', 'c-net']);
    const mine = ours(
      'c-net',
      image('plain'),
      withHostNamespace('network'),
      withHostHostsFile,
      withHostResolvconf,
      withEnv([`HOSTNAME=${os.hostname()}`]),
    );
    expect(mine).toStrictEqual(await ctrSpec('c-net'));
  });

  it('--mount and --label (labels become annotations)', async () => {
    await ok([
      'containers',
      'create',
      '--mount',
      'type=bind,src=/tmp,dst=/host,options=rbind:ro',
      '--label',
      'tsctr.test/x=y',
      'tsctr.test/spec:plain',
      'c-mount',
    ]);
    const mine = ours(
      'c-mount',
      withMounts([{ type: 'bind', source: '/tmp', destination: '/host', options: ['rbind', 'ro'] }]),
      image('plain'),
      withAnnotations({ 'tsctr.test/x': 'y' }),
    );
    expect(mine).toStrictEqual(await ctrSpec('c-mount'));
  });

  it('--privileged', async () => {
    await ok(['containers', 'create', '--privileged', 'tsctr.test/spec:plain', 'c-priv']);
    const mine = ours(
      'c-priv',
      image('plain'),
      withPrivileged(await currentCapabilities()),
      withAllDevicesAllowed,
      withLinuxDevices(await hostDevices()),
    );
    const got = await ctrSpec('c-priv');
    expect(got.linux?.devices?.length).toBeGreaterThan(0);
    expect(got.linux?.maskedPaths).toBeUndefined();
    expect(mine).toStrictEqual(got);
  });

  it('ctr run --cpus (and its default cpu shares)', async () => {
    // `ctr run` builds the container, then fails at Tasks.Create on a runtime that does not exist: the
    // container and its spec stay. --null-io keeps ctr from making FIFOs.
    const r = await ctr([
      'run',
      '--null-io',
      '--runtime',
      'io.containerd.tsctr-missing.v1',
      '--cpus',
      '1.5',
      'tsctr.test/spec:plain',
      'c-cpu',
      'true',
    ]);
    expect(r.code).not.toBe(0);
    const mine = ours('c-cpu', image('plain'), withProcessArgs('true'), withCpus(1.5), withCpuShares(1024));
    expect(mine).toStrictEqual(await ctrSpec('c-cpu'));
    expect(mine.linux?.resources?.cpu).toEqual({ shares: 1024, quota: 150000, period: 100000 });
    expect(applyOpts(defaultSpec(NS, 'x'), withCpuCfs(150000, 100000)).linux?.resources?.cpu).toEqual({
      quota: 150000,
      period: 100000,
    });
  });
});
