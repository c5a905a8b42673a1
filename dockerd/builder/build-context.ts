// One build's context: received into a spool and indexed (context-index.ts), unpacked into its
// private directory only when a step needs its files (a COPY/ADD that misses the cache, a RUN bind
// mount). The Dockerfile, .dockerignore and the COPY/ADD checksums are read from the index; they
// are the same as those read from the unpacked directory (same names, modes, sizes and bytes).
import { createHash } from 'node:crypto';
import { lstatSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import dockerignore, { type Ignore } from '@balena/dockerignore';
import { extractInto } from '../archive/index.js';
import { InvalidParameter } from '../errdefs/index.js';
import {
  applyDockerignore,
  decompress,
  looksLikeTar,
  peek,
  readDockerfile,
  readIgnorePatterns,
  terminated,
} from './context.js';
import { type CtxNode, Spool, TarIndexer, lookup } from './context-index.js';
import { GLOB, type Source, findSources, hashHeader, segmentRegExp } from './copy.js';

const CHUNK = 1 << 20;

const createIgnore = (dockerignore as unknown as { default: () => Ignore }).default;

export class BuildContext {
  /** The unpacking, once started. */
  private extracted: Promise<void> | undefined;
  private ready: Promise<string> | undefined;
  private ignored = false;

  private constructor(
    /** Where the context is unpacked (exists, empty until then). */
    private readonly dir: string,
    private readonly spool: Spool | undefined,
    private index: CtxNode | undefined,
  ) {}

  /**
   * Receives the request body (a tar, plain or compressed, or a Dockerfile alone: its name is then
   * returned). `spoolFile` is where a large context is kept, in the build's private directory.
   * `unpack`: unpack it while it arrives too (a --no-cache build needs every file it copies).
   */
  static async receive(
    body: Readable,
    dir: string,
    spoolFile: string,
    unpack = false,
  ): Promise<{ ctx: BuildContext; dockerfileOnly?: string }> {
    const plain = await decompress(body);
    const { head, stream } = await peek(plain, 512);
    if (!looksLikeTar(head)) {
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      writeFileSync(path.join(dir, 'Dockerfile'), Buffer.concat(chunks));
      const ctx = new BuildContext(dir, undefined, undefined);
      ctx.extracted = Promise.resolve();
      return { ctx, dockerfileOnly: 'Dockerfile' };
    }
    const spool = new Spool(spoolFile);
    const indexer = new TarIndexer(spool);
    const ctx = new BuildContext(dir, spool, undefined);
    const tee = unpack ? new PassThrough({ highWaterMark: 1 << 20 }) : undefined;
    if (tee) {
      ctx.extracted = ctx.extract(tee);
      ctx.extracted.catch(() => undefined);
    }
    try {
      for await (const c of stream) {
        spool.write(c as Buffer);
        indexer.advance();
        if (tee && !tee.destroyed && !tee.write(c)) await new Promise((res) => tee.once('drain', res));
      }
    } catch (err) {
      tee?.destroy();
      await ctx.extracted?.catch(() => undefined);
      spool.close();
      throw new InvalidParameter(`failed to read the build context: ${(err as Error).message}`);
    }
    tee?.end();
    const index = indexer.finish();
    // The root is the directory made for the build (the extractor never changes its mode).
    if (index) index.mode = lstatSync(dir).mode & 0o7777;
    ctx.index = index;
    // Not a plain tar: unpacked now, its errors the request's as before.
    if (!index) ctx.extracted ??= ctx.extract(spool.stream());
    await ctx.extracted;
    return { ctx };
  }

  private async extract(tar: Readable): Promise<void> {
    try {
      await extractInto(this.dir, '/', terminated(tar));
    } catch (err) {
      throw new InvalidParameter(`failed to read the build context: ${(err as Error).message}`);
    }
  }

  /** The unpacked context (unpacked on the first call, .dockerignore applied). */
  directory(): Promise<string> {
    this.ready ??= (async () => {
      this.extracted ??= this.extract(this.spool!.stream());
      await this.extracted;
      if (this.ignored) applyDockerignore(this.dir);
      return this.dir;
    })();
    return this.ready;
  }

  /** Whether the files are (being) unpacked. */
  get isUnpacked(): boolean {
    return this.extracted !== undefined;
  }

  private fileText(rel: string): string | undefined | null {
    const n = lookup(this.index!, rel);
    if (n === null) return null;
    if (!n || n.dir) return undefined;
    return this.spool!.read(n.offset, n.size).toString('utf8');
  }

  /** The Dockerfile's text: `name` inside the context (falling back to `dockerfile` for the default). */
  async readDockerfile(name: string): Promise<{ text: string; rel: string }> {
    if (!this.index) return readDockerfile(await this.directory(), name);
    let text = this.fileText(name);
    let rel = name;
    if (text === undefined && name === 'Dockerfile') {
      text = this.fileText('dockerfile');
      rel = 'dockerfile';
    }
    if (text === null) return readDockerfile(await this.directory(), name);
    // The request names a file the context lacks: its fault, a 400 (classic moby answered 500).
    if (text === undefined) throw new InvalidParameter(`Cannot locate specified Dockerfile: ${name}`);
    return { text, rel: path.posix.normalize(rel).replace(/^\/+/, '') };
  }

  /** Leaves out what `.dockerignore` excludes (as context.ts's applyDockerignore on the directory). */
  async applyDockerignore(): Promise<void> {
    if (!this.index) {
      applyDockerignore(await this.directory());
      return;
    }
    const text = this.fileText('.dockerignore');
    if (typeof text !== 'string') return;
    const patterns = readIgnorePatterns(text);
    if (patterns.length === 0) return;
    this.ignored = true;
    const ig = createIgnore().add(patterns);
    const walk = (node: CtxNode, rel: string): void => {
      for (const [name, child] of [...node.children!]) {
        const r = rel ? `${rel}/${name}` : name;
        if (child.dir) {
          walk(child, r);
          if (ig.ignores(r) && child.children!.size === 0) node.children!.delete(name);
        } else if (ig.ignores(r)) node.children!.delete(name);
      }
    };
    walk(this.index, '');
    // Unpacked already (a Dockerfile the index could not answer for): the files go too.
    if (this.ready) applyDockerignore(await this.ready);
  }

  /** COPY/ADD sources from the context with their checksums (copy.ts's findSources on the context). */
  async sources(patterns: string[], what: string): Promise<Source[]> {
    const fast = this.index ? this.indexedSources(patterns, what) : undefined;
    return fast ?? findSources(await this.directory(), patterns, what, true);
  }

  /** findSources answered from the index; undefined when a path goes through a file (the disk decides). */
  private indexedSources(patterns: string[], what: string): Source[] | undefined {
    const root = this.index!;
    const out: Source[] = [];
    for (const orig of patterns) {
      const clean = path.posix.normalize(orig.replace(/^\/+/, '') || '.');
      if (clean === '..' || clean.startsWith('../'))
        throw new InvalidParameter(`${what} failed: forbidden path outside the build context: ${orig} ()`);
      const rels = GLOB.test(clean) ? this.glob(clean) : [clean];
      if (rels === undefined) return undefined;
      if (GLOB.test(clean) && rels.length === 0) continue;
      for (const rel of rels) {
        const n = lookup(root, rel);
        if (n === null) return undefined;
        if (!n)
          throw new InvalidParameter(
            `${what} failed: file not found in build context or excluded by .dockerignore: stat ${orig}: file does not exist`,
          );
        const resolved = path.posix.normalize(rel).replace(/^\/+|\/+$/g, '') || '.';
        const hash = n.dir ? `dir:${this.treeHash(n, '')}` : `file:${this.treeHash(n, path.basename(rel))}`;
        out.push({ orig, rel: resolved, isDir: n.dir, hash });
      }
    }
    if (out.length === 0) throw new InvalidParameter(`${what} failed: no source files were specified`);
    return out;
  }

  private glob(pattern: string): string[] | undefined {
    let found = [''];
    for (const seg of pattern.split('/').filter((s) => s && s !== '.')) {
      const next: string[] = [];
      for (const dir of found) {
        const d = lookup(this.index!, dir);
        if (!GLOB.test(seg)) {
          if (d === null || (d && !d.dir)) return undefined;
          if (d?.children!.has(seg)) next.push(dir ? `${dir}/${seg}` : seg);
          continue;
        }
        const names = d && d.dir ? [...d.children!.keys()].sort() : [];
        const re = segmentRegExp(seg);
        for (const n of names) if (re.test(n)) next.push(dir ? `${dir}/${n}` : n);
      }
      found = next;
    }
    return found;
  }

  private fileHash(n: CtxNode, name: string): string {
    const h = createHash('sha256');
    h.update(hashHeader(name, n.mode, n.dir ? 0 : n.size, n.dir ? '5' : '0', ''));
    // Large files a piece at a time: a spooled context is never read into memory whole.
    for (let off = 0; !n.dir && off < n.size; off += CHUNK)
      h.update(this.spool!.read(n.offset + off, Math.min(CHUNK, n.size - off)));
    return h.digest('hex');
  }

  private treeHash(n: CtxNode, name: string): string {
    if (!n.dir) return this.fileHash(n, name);
    const parts = [this.fileHash(n, name)];
    for (const e of [...n.children!.keys()].sort())
      parts.push(this.treeHash(n.children!.get(e)!, `${name}/${e}`));
    return createHash('sha256').update(parts.join(',')).digest('hex');
  }

  close(): void {
    this.spool?.close();
  }
}
