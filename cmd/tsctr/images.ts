import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { exportImages, importArchive } from '../../client/images/archive.js';
import { unpackImage } from '../../client/images/unpack-image.js';
import { promisify } from 'node:util';
import { type Command, UsageError, json, parse, print, subcommands, withConnection } from './common.js';
import { Progress } from './progress.js';
import { isNotFound } from '../../api/errdefs.js';
import { humanSize, table } from '../../client/format.js';
import { pullReference } from '../../client/images/remote.js';
import { pushImage } from '../../client/images/push.js';
import { chainIds } from '../../client/images/chain.js';
import { checkImage, imageConfig, platformManifest } from '../../client/images/walk.js';
import { Registry, parsePlatform, parseReference } from '../../client/remotes/index.js';
import { mountAll } from '../../client/mount.js';
import { listImages } from '../../client/services/images.js';
import { DEFAULT_SNAPSHOTTER } from '../../client/snapshotter.js';

const run = promisify(execFile);

function registry(values: { 'plain-http'?: boolean; user?: string }): Registry {
  const [username, password] = (values.user ?? '').split(/:(.*)/s);
  return new Registry({
    ...(values['plain-http'] ? { plainHttp: true } : {}),
    ...(values.user ? { credentials: async () => ({ username, password: password ?? '' }) } : {}),
  });
}

const pull: Command = async (g, args) => {
  const { values, positionals } = parse(args, {
    'plain-http': { type: 'boolean' },
    user: { type: 'string', short: 'u' },
    platform: { type: 'string' },
    snapshotter: { type: 'string' },
    'skip-unpack': { type: 'boolean' },
  });
  if (positionals.length !== 1)
    throw new UsageError('images pull [--plain-http] [--user U:P] [--platform P] REF');
  const progress = new Progress();
  await withConnection(g, async (c) => {
    try {
      const r = await pullReference(c, registry(values), positionals[0], {
        snapshotter: values.snapshotter ?? DEFAULT_SNAPSHOTTER,
        unpack: !values['skip-unpack'],
        ...(values.platform ? { platform: parsePlatform(values.platform) } : {}),
        progress: (p) =>
          progress.update({ id: p.digest, kind: p.kind, status: p.status, offset: p.offset, total: p.total }),
      });
      progress.done();
      print(`${r.name}: ${r.target.digest}\n`);
    } finally {
      progress.done();
    }
  });
};

const push: Command = async (g, args) => {
  const { values, positionals } = parse(args, {
    'plain-http': { type: 'boolean' },
    user: { type: 'string', short: 'u' },
  });
  const [remote, local = positionals[0]] = positionals;
  if (!remote) throw new UsageError('images push [--plain-http] [--user U:P] REMOTE [LOCAL]');
  const progress = new Progress();
  await withConnection(g, async (c) => {
    try {
      const d = await pushImage(c, registry(values), local, remote, (p) =>
        progress.update({ id: p.digest, kind: p.kind, status: p.status, offset: p.offset, total: p.total }),
      );
      progress.done();
      print(`${remote}: ${d}\n`);
    } finally {
      progress.done();
    }
  });
};

const ls: Command = async (g, args) => {
  const { values, positionals } = parse(args, {
    quiet: { type: 'boolean', short: 'q' },
    format: { type: 'string' },
  });
  await withConnection(g, async (c) => {
    const images = await listImages(c, positionals);
    if (values.quiet) return print(images.map((i) => `${i.name}\n`).join(''));
    const rows: string[][] = [];
    const out = [];
    for (const i of images) {
      const t = i.target!;
      const chk = await checkImage(c, t).catch(() => undefined);
      out.push({
        name: i.name,
        target: t,
        labels: i.labels,
        size: chk?.size ?? 0,
        platforms: chk?.platforms ?? [],
      });
      const labels =
        Object.entries(i.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',') || '-';
      rows.push([
        i.name,
        t.mediaType,
        t.digest,
        chk ? humanSize(chk.size) : '-',
        chk?.platforms.join(',') ?? '-',
        labels,
      ]);
    }
    if (values.format === 'json') return json(out);
    print(table(['REF', 'TYPE', 'DIGEST', 'SIZE', 'PLATFORMS', 'LABELS'], rows));
  });
};

const rm: Command = async (g, args) => {
  const { values, positionals } = parse(args, { sync: { type: 'boolean' } });
  let failed = 0;
  await withConnection(g, async (c) => {
    for (let i = 0; i < positionals.length; i++) {
      const name = positionals[i];
      try {
        await c.image(name).delete((values.sync ?? false) && i === positionals.length - 1);
        print(`${name}\n`);
      } catch (e) {
        if (!isNotFound(e)) failed++;
        process.stderr.write(`tsctr: ${name}: ${(e as Error).message}\n`);
        if (isNotFound(e)) failed++;
      }
    }
  });
  return failed ? 1 : 0;
};

const tag: Command = async (g, args) => {
  const { values, positionals } = parse(args, { force: { type: 'boolean' } });
  const [source, ...targets] = positionals;
  if (!source || targets.length === 0) throw new UsageError('images tag [--force] SOURCE TARGET...');
  await withConnection(g, async (c) => {
    const image = await c.image(source).get();
    for (const t of targets) {
      const fields = { labels: image.labels, target: image.target! };
      try {
        await c.image(t).create(fields);
      } catch (e) {
        if (!values.force) throw e;
        await c.image(t).update(fields);
      }
      print(`${t}\n`);
    }
  });
};

const check: Command = async (g, args) => {
  const { positionals } = parse(args, { quiet: { type: 'boolean', short: 'q' } });
  await withConnection(g, async (c) => {
    const images = await listImages(c, positionals);
    const rows: string[][] = [];
    for (const i of images) {
      const chk = await checkImage(c, i.target!);
      let unpacked = 'false';
      try {
        const m = await platformManifest(c, i.target!);
        const cfg = await imageConfig(c, m.manifest);
        const top = chainIds(cfg.rootfs.diff_ids).pop();
        if (top) {
          await c.snapshotter().stat(top);
          unpacked = 'true';
        }
      } catch {
        unpacked = 'false';
      }
      rows.push([
        i.name,
        i.target!.mediaType,
        chk.complete ? 'complete' : 'incomplete',
        `(${chk.present}/${chk.total})`,
        humanSize(chk.size),
        unpacked,
      ]);
    }
    print(table(['REF', 'TYPE', 'STATUS', 'AVAILABLE', 'SIZE', 'UNPACKED'], rows));
  });
};

const mount: Command = async (g, args) => {
  const { values, positionals } = parse(args, { rw: { type: 'boolean' }, snapshotter: { type: 'string' } });
  const [ref, target] = positionals;
  if (!ref || !target) throw new UsageError('images mount [--rw] REF TARGET');
  const snapshotter = values.snapshotter ?? DEFAULT_SNAPSHOTTER;
  await withConnection(g, async (c) => {
    const image = await c.image(ref).get();
    const m = await platformManifest(c, image.target!);
    const cfg = await imageConfig(c, m.manifest);
    const top = chainIds(cfg.rootfs.diff_ids).pop() ?? '';
    const key = target;
    const labels = { 'containerd.io/gc.root': new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
    const sn = c.snapshotter(snapshotter);
    const mounts = values.rw ? await sn.prepare(key, top, labels) : await sn.view(key, top, labels);
    mkdirSync(target, { recursive: true });
    await mountAll(mounts, target);
    print(`${target}\n`);
  });
};

const unmount: Command = async (g, args) => {
  const { values, positionals } = parse(args, { rm: { type: 'boolean' }, snapshotter: { type: 'string' } });
  const [target] = positionals;
  if (!target) throw new UsageError('images unmount [--rm] TARGET');
  await run('umount', [target]);
  if (values.rm) {
    await withConnection(g, (c) => c.snapshotter(values.snapshotter ?? DEFAULT_SNAPSHOTTER).remove(target));
  }
  print(`${target}\n`);
};

const exportCmd: Command = async (g, args) => {
  const { values, positionals } = parse(args, { 'all-platforms': { type: 'boolean' } });
  const [file, ...refs] = positionals;
  if (!file || refs.length === 0) throw new UsageError('images export [--all-platforms] FILE|- REF...');
  await withConnection(g, (c) =>
    exportImages(c, refs, file === '-' ? process.stdout : createWriteStream(file), {
      allPlatforms: values['all-platforms'] ?? false,
    }),
  );
};

const importCmd: Command = async (g, args) => {
  const { values, positionals } = parse(args, {
    'base-name': { type: 'string' },
    'no-unpack': { type: 'boolean' },
    snapshotter: { type: 'string' },
  });
  const [file] = positionals;
  if (!file) throw new UsageError('images import [--base-name NAME] [--no-unpack] FILE|-');
  await withConnection(g, async (c) => {
    const imported = await importArchive(c, file === '-' ? process.stdin : createReadStream(file), {
      ...(values['base-name'] ? { baseName: values['base-name'] } : {}),
    });
    for (const img of imported) {
      if (!values['no-unpack']) await unpackImage(c, img.target, values.snapshotter ?? DEFAULT_SNAPSHOTTER);
      print(`${img.name}\n`);
    }
  });
};

export const images = subcommands(
  'images',
  { pull, push, ls, rm, tag, check, mount, unmount, export: exportCmd, import: importCmd },
  { list: 'ls', remove: 'rm', delete: 'rm', del: 'rm' },
);

export { parseReference };
