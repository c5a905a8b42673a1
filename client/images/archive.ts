// Image archives: export to an OCI image layout tar (with a docker-compatible manifest.json, so both
// `ctr images import` and `docker load` read it), and import from OCI layout or `docker save` tars.
import { createHash } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack } from 'tar-stream';
import { isAlreadyExists } from '../../api/errdefs.js';
import type { Connection } from '../connection.js';
import { readBlob, writeBlob } from '../content.js';
import { setContentLabels } from '../services/content.js';
import { MediaType, isIndex, isManifest } from '../remotes/media.js';
import type { Descriptor, Index, Manifest } from './oci.js';
import { platformManifest, readAll, readJson } from './walk.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blobPath = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;

export interface ExportOptions {
  /** Every platform of an index (default: only this machine's, as ctr does). */
  allPlatforms?: boolean;
}

/** Writes an OCI layout tar of the named images to `out`. */
export async function exportImages(
  c: Connection,
  names: string[],
  out: Writable,
  opts: ExportOptions = {},
): Promise<void> {
  const p = pack();
  p.pipe(out);
  const written = new Set<string>();
  const addBlob = async (d: Descriptor) => {
    if (written.has(d.digest)) return;
    written.add(d.digest);
    await new Promise<void>((resolve, reject) => {
      const entry = p.entry(
        { name: blobPath(d.digest), size: d.size, mode: 0o444, mtime: new Date(0) },
        (err) => (err ? reject(err) : resolve()),
      );
      pipeline(Readable.from(readBlob(c, d.digest)), entry).catch(reject);
    });
  };
  const addManifest = async (m: Descriptor) => {
    const man = await readJson<Manifest>(c, m.digest);
    for (const l of man.layers) await addBlob(l);
    await addBlob(man.config);
    await addBlob(m);
    return man;
  };
  const indexEntries: Descriptor[] = [];
  const dockerManifest: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
  for (const name of names) {
    const root = (await c.image(name).get()).target! as Descriptor;
    let manifest: Manifest;
    if (isIndex(root.mediaType)) {
      const idx = await readJson<Index>(c, root.digest);
      if (opts.allPlatforms) for (const m of idx.manifests) if (isManifest(m.mediaType)) await addManifest(m);
      const chosen = await platformManifest(c, root);
      manifest = opts.allPlatforms ? chosen.manifest : await addManifest(chosen.desc);
      await addBlob(root);
    } else {
      manifest = await addManifest(root);
    }
    indexEntries.push({
      mediaType: root.mediaType,
      digest: root.digest,
      size: root.size,
      annotations: {
        'io.containerd.image.name': name,
        'org.opencontainers.image.ref.name': name.split(':').pop() ?? 'latest',
      },
    });
    dockerManifest.push({
      Config: blobPath(manifest.config.digest),
      RepoTags: [name],
      Layers: manifest.layers.map((l) => blobPath(l.digest)),
    });
  }
  const small = (name: string, data: string) => p.entry({ name, mode: 0o444, mtime: new Date(0) }, data);
  small('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  small(
    'index.json',
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: indexEntries }),
  );
  small('manifest.json', JSON.stringify(dockerManifest));
  p.finalize();
  await new Promise<void>((resolve, reject) => out.once('finish', resolve).once('error', reject));
}

export interface ImportedImage {
  name: string;
  target: Descriptor;
}

/**
 * Reads an archive into the content store and creates its images. Blobs go in as they stream past;
 * small JSON members are kept to build the image records at the end.
 */
export async function importArchive(
  c: Connection,
  input: Readable,
  opts: { baseName?: string } = {},
): Promise<ImportedImage[]> {
  const files = new Map<string, { digest: string; size: number }>();
  const json = new Map<string, Buffer>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '');
      if (header.type !== 'file') {
        stream.resume();
        stream.on('end', () => next());
        return;
      }
      const isMeta =
        name === 'index.json' ||
        name === 'manifest.json' ||
        name === 'oci-layout' ||
        name === 'repositories' ||
        name.endsWith('.json');
      const chunks: Buffer[] = [];
      const keep = isMeta && header.size !== undefined && header.size < 4 << 20;
      const capture = async function* (): AsyncIterable<Buffer> {
        for await (const b of stream) {
          if (keep) chunks.push(b as Buffer);
          yield b as Buffer;
        }
      };
      writeBlob(c, `tar-${name}`, capture(), { total: header.size ?? 0 })
        .then((r) => {
          files.set(name, { digest: r.digest, size: header.size ?? 0 });
          if (keep) json.set(name, Buffer.concat(chunks));
          next();
        })
        .catch((e: unknown) => (isAlreadyExists(e) ? next() : reject(e)));
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  input.pipe(ex);
  await done;

  const out: ImportedImage[] = [];
  const create = async (name: string, target: Descriptor) => {
    await c.image(name).put({ target }, ['target']);
    out.push({ name, target });
  };
  const label = (digest: string, labels: Record<string, string>) => setContentLabels(c, digest, labels);

  const indexJson = json.get('index.json');
  if (indexJson) {
    const index = JSON.parse(indexJson.toString()) as Index;
    for (const d of index.manifests) {
      await setChildrenLabels(c, d, label);
      const name =
        d.annotations?.['io.containerd.image.name'] ??
        refName(d.annotations?.['org.opencontainers.image.ref.name'], opts.baseName);
      if (name) await create(name, { mediaType: d.mediaType, digest: d.digest, size: d.size });
    }
    return out;
  }
  const dockerJson = json.get('manifest.json');
  if (!dockerJson) throw new Error('archive has neither index.json nor manifest.json');
  for (const m of JSON.parse(dockerJson.toString()) as Array<{
    Config: string;
    RepoTags?: string[];
    Layers: string[];
  }>) {
    const config = files.get(m.Config);
    if (!config) throw new Error(`archive lacks ${m.Config}`);
    const layers = m.Layers.map((l) => {
      const f = files.get(l);
      if (!f) throw new Error(`archive lacks ${l}`);
      return { mediaType: MediaType.DockerLayer, digest: f.digest, size: f.size };
    });
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.DockerManifest,
        config: { mediaType: MediaType.DockerConfig, ...config },
        layers,
      }),
    );
    const r = await writeBlob(c, `tar-manifest-${sha(manifest)}`, Readable.from([manifest]), {
      total: manifest.length,
      expected: sha(manifest),
    });
    const desc = { mediaType: MediaType.DockerManifest, digest: r.digest, size: manifest.length };
    await setChildrenLabels(c, desc, label);
    for (const tag of m.RepoTags ?? []) await create(normalizeDockerTag(tag), desc);
  }
  return out;
}

async function setChildrenLabels(
  c: Connection,
  d: Descriptor,
  label: (digest: string, l: Record<string, string>) => Promise<unknown>,
): Promise<void> {
  if (isIndex(d.mediaType)) {
    const idx = JSON.parse((await readAll(c, d.digest)).toString()) as Index;
    const labels: Record<string, string> = {};
    idx.manifests.forEach((m, i) => (labels[`containerd.io/gc.ref.content.m.${i}`] = m.digest));
    if (Object.keys(labels).length) await label(d.digest, labels);
    for (const m of idx.manifests) await setChildrenLabels(c, m, label).catch(() => undefined);
  } else if (isManifest(d.mediaType)) {
    const man = JSON.parse((await readAll(c, d.digest)).toString()) as Manifest;
    const labels: Record<string, string> = { 'containerd.io/gc.ref.content.config': man.config.digest };
    man.layers.forEach((l, i) => (labels[`containerd.io/gc.ref.content.l.${i}`] = l.digest));
    await label(d.digest, labels);
  }
}

function refName(refName: string | undefined, base: string | undefined): string | undefined {
  if (!refName) return undefined;
  if (refName.includes('/') || refName.includes(':')) return refName;
  return base ? `${base}:${refName}` : undefined;
}

/** `busybox:latest` in a docker save tar means docker.io/library/busybox:latest. */
function normalizeDockerTag(tag: string): string {
  const slash = tag.indexOf('/');
  const first = slash < 0 ? '' : tag.slice(0, slash);
  if (slash < 0) return `docker.io/library/${tag}`;
  if (!/[.:]/.test(first) && first !== 'localhost') return `docker.io/${tag}`;
  return tag;
}
