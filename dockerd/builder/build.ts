// One classic build: the stages the target needs, in order, each instruction either found in the
// cache or run (RUN in a container, COPY/ADD/WORKDIR on a snapshot, the rest on the config only),
// every step an image whose parent is the previous one, the progress written as dockerd writes it.
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { isAlreadyExists } from '../../api/errdefs.js';
import { chainIds } from '../../client/images/chain.js';
import { parseReference } from '../../client/remotes/reference.js';
import type { Engine } from '../backend/engine.js';
import { pullImage } from '../backend/images/pull.js';
import { withLease } from '../backend/images/store-image.js';
import { PARENT_LABEL } from '../backend/images.js';
import type { HostConfig } from '../backend/types.js';
import { resolveInRoot } from '../archive/index.js';
import { InvalidParameter, NotFound } from '../errdefs/index.js';
import type { JsonMessage } from '../wire/jsonmessage.js';
import type { BuildContext } from './build-context.js';
import type { BuildCache } from './cache.js';
import { type Source, copyInto, findSources, resolveChown, sourcesHash } from './copy.js';
import {
  type ImageState,
  type Layer,
  type RunConfig,
  DEFAULT_SHELL,
  commitStep,
  newContainerId,
  scratchState,
  short,
  stateOf,
} from './image-state.js';
import {
  commandOf,
  exposedPorts,
  goQuoteList,
  healthText,
  healthcheck,
  keyValues,
  setEnv,
} from './instructions.js';
import { type BuildOptions, PROXY_ARGS } from './options.js';
import { type Dockerfile, type Instruction, type Stage, checkFlags, flag, parseDockerfile } from './parse.js';
import { OrderedOutput } from './ordered-output.js';
import { BuildCancelled, removeStepContainer, runContainer, snapshotLayer } from './run-step.js';
import { type EnvLookup, envLookup, processWord, splitWords } from './shell-lex.js';

/** A failed step: its message and (for RUN) the exit code, for the errorDetail line. */
export class StepError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

export interface BuildIO {
  write(m: JsonMessage): void;
  signal: AbortSignal;
  log: Logger;
}

export interface BuildDirs {
  /** The context, unpacked on demand. */
  context: BuildContext;
  /** Scratch space of this build (heredoc files, downloads), removed with it. */
  tmp: string;
  /** Where RUN --mount=type=cache directories live, per id, across builds. */
  cacheMounts: string;
}

/** What one stage writes to and is stopped by. */
export interface StageIO {
  write(m: JsonMessage): void;
  signal: AbortSignal;
  /** The number of the stage's next step. */
  nextStep(): number;
}

/** The stages `target` needs (itself, its FROM stage, COPY --from and --mount from= stages). */
export function neededStages(df: Dockerfile, target: number, metaEnv: EnvLookup): Set<number> {
  const byName = new Map(df.stages.map((s) => [s.name, s.index]));
  const refOf = (ref: string, before: number): number | undefined => {
    const r = ref.toLowerCase();
    if (byName.has(r) && byName.get(r)! < before) return byName.get(r);
    if (/^\d+$/.test(r) && Number(r) < before) return Number(r);
    return undefined;
  };
  const need = new Set<number>();
  const visit = (i: number) => {
    if (need.has(i)) return;
    need.add(i);
    const st = df.stages[i];
    const base = refOf(processWord(st.from.args.split(/\s+/)[0], metaEnv, df.escape), i);
    if (base !== undefined) visit(base);
    for (const c of st.commands) {
      const from = flag(c, 'from');
      if (from !== undefined) {
        const d = refOf(from, i);
        if (d !== undefined) visit(d);
      }
      for (const m of c.flags.filter((f) => f.name === 'mount')) {
        const fm = /(?:^|,)from=([^,]+)/.exec(m.value ?? '');
        const d = fm ? refOf(fm[1], i) : undefined;
        if (d !== undefined) visit(d);
      }
    }
  };
  visit(target);
  return need;
}

export class Build {
  private readonly df: Dockerfile;
  private readonly stages = new Map<number, Promise<ImageState>>();
  private total = 0;
  private readonly declared = new Set<string>();
  private readonly metaArgs = new Map<string, string | undefined>();
  private readonly containers: string[] = [];

  constructor(
    private readonly e: Engine,
    private readonly o: BuildOptions,
    private readonly dirs: BuildDirs,
    dockerfileText: string,
    private readonly cache: BuildCache,
    private readonly io: BuildIO,
  ) {
    this.df = parseDockerfile(dockerfileText, o.dockerfile);
  }

  /** Checks that fail before any output (bad target). */
  targetIndex(): number {
    if (!this.o.target) return this.df.stages.length - 1;
    const t = this.o.target.toLowerCase();
    const s = this.df.stages.find((x) => x.name === t);
    if (!s) throw new InvalidParameter(`failed to reach build target ${this.o.target} in Dockerfile`);
    return s.index;
  }

  private out(text: string): void {
    this.io.write({ stream: text });
  }

  private stepText(n: number, ins: Instruction | string): string {
    return `Step ${n}/${this.total} : ${typeof ins === 'string' ? ins : ins.original}`;
  }

  private arg(name: string): string | undefined {
    const v = this.o.buildArgs[name];
    return v === null ? undefined : v;
  }

  /** Runs the build; the final image's ID. */
  async run(): Promise<string> {
    const target = this.targetIndex();
    // Meta ARGs (before the first FROM): usable in FROM lines.
    for (const a of this.df.metaArgs) {
      for (const [k, v] of this.argPairs(a, envLookup([]))) {
        this.declared.add(k);
        this.metaArgs.set(k, this.arg(k) ?? v);
      }
    }
    const metaEnv: EnvLookup = (n) => this.metaArgs.get(n);
    const need = neededStages(this.df, target, metaEnv);
    const labels = Object.keys(this.o.labels);
    this.total =
      this.df.metaArgs.length +
      this.df.stages.filter((s) => need.has(s.index)).reduce((n, s) => n + 1 + s.commands.length, 0) +
      (labels.length > 0 ? 1 : 0);
    this.df.metaArgs.forEach((a, i) => {
      this.out(this.stepText(i + 1, a));
      this.out('\n');
    });
    // Each needed stage runs as soon as the stages it uses are done (a FROM or COPY --from waits for
    // its stage), all at once otherwise; the output is written in stage order.
    const stages = this.df.stages.filter((s) => need.has(s.index) && s.index <= target);
    const output = new OrderedOutput(
      stages.map((s) => s.index),
      (m) => this.io.write(m),
    );
    let step = this.df.metaArgs.length;
    const abort = new AbortController();
    const signal = AbortSignal.any([this.io.signal, abort.signal]);
    for (const st of stages) {
      const first = step + 1;
      const extra = st.index === target && labels.length > 0 ? this.labelInstruction() : undefined;
      step += 1 + st.commands.length + (extra ? 1 : 0);
      const io: StageIO = {
        write: (m) => output.write(st.index, m),
        signal,
        nextStep: (() => {
          let n = first;
          return () => n++;
        })(),
      };
      const p = this.runStage(st, extra, io).then((state) => {
        if (!this.o.quiet) io.write({ aux: { ID: state.id } });
        output.done(st.index);
        return state;
      });
      p.catch(() => abort.abort());
      this.stages.set(st.index, p);
    }
    const settled = await Promise.allSettled([...this.stages.values()]);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // The first failure in stage order is the build's; the others were cancelled by it.
      const first = settled.find(
        (r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof BuildCancelled),
      );
      output.drain();
      throw (first ?? failed).reason;
    }
    const last = (settled.at(-1) as PromiseFulfilledResult<ImageState>).value;
    const unused = Object.keys(this.o.buildArgs)
      .filter((k) => !this.declared.has(k) && !PROXY_ARGS.has(k))
      .sort();
    if (unused.length > 0)
      this.out(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    return last.id;
  }

  private labelInstruction(): Instruction {
    const text = Object.entries(this.o.labels)
      .map(
        ([k, v]) =>
          `${/[\s"=]/.test(k) ? JSON.stringify(k) : k}=${/[\s"]/.test(v) || v === '' ? JSON.stringify(v) : v}`,
      )
      .join(' ');
    return {
      keyword: 'LABEL',
      original: `LABEL ${text}`,
      line: 0,
      flags: [],
      args: text,
      json: undefined,
      heredocs: [],
    };
  }

  private argPairs(ins: Instruction, env: EnvLookup): Array<[string, string | undefined]> {
    const words = splitWords(ins.args, this.df.escape);
    if (words.length === 0) throw new InvalidParameter('ARG requires exactly one argument');
    return words.map((w) => {
      const i = w.indexOf('=');
      if (i < 0) return [w, undefined];
      return [w.slice(0, i), processWord(w.slice(i + 1), env, this.df.escape)];
    });
  }

  private async baseImage(ref: string, stageIndex: number, io: StageIO): Promise<ImageState> {
    const lower = ref.toLowerCase();
    const byName = this.df.stages.find((s) => s.name === lower && s.index < stageIndex);
    if (byName) {
      const r = this.stages.get(byName.index);
      if (r) return r;
    }
    if (lower === 'scratch') return scratchState();
    let parsed;
    try {
      parsed = parseReference(ref);
    } catch (err) {
      throw new InvalidParameter((err as Error).message);
    }
    if (!this.o.pull) {
      const local = await this.e.images.resolve(ref, { allNames: false }).catch(() => undefined);
      if (local) return stateOf(local);
    }
    const domain = parsed.string.split('/')[0];
    const authObj = this.o.registryAuth[domain] ?? this.o.registryAuth[`https://${domain}`];
    const auth = authObj ? Buffer.from(JSON.stringify(authObj)).toString('base64') : undefined;
    try {
      await pullImage(
        this.e,
        { ref: parsed, auth, platform: this.o.platform || undefined },
        (m) => io.write(m),
        () => undefined,
      );
    } catch (err) {
      if (err instanceof NotFound || (err as Error).message.includes('not found'))
        throw new StepError(
          `pull access denied for ${parsed.familiarName}, repository does not exist or may require 'docker login': ${(err as Error).message}`,
        );
      throw new StepError((err as Error).message);
    }
    this.cache.invalidate();
    return stateOf(await this.e.images.resolve(parsed.string, { allNames: false }));
  }

  private async runStage(st: Stage, extra: Instruction | undefined, io: StageIO): Promise<ImageState> {
    const out = (text: string) => io.write({ stream: text });
    const stepLine = (ins: Instruction) => {
      out(this.stepText(io.nextStep(), ins));
      out('\n');
    };
    stepLine(st.from);
    const metaEnv: EnvLookup = (n) => this.metaArgs.get(n);
    const words = st.from.args.split(/\s+/);
    checkFlags(st.from, ['platform']);
    const ref = processWord(words[0], metaEnv, this.df.escape);
    if (!ref) throw new StepError('base name (${' + words[0] + '}) should not be blank');
    const base = await this.baseImage(ref, st.index, io);
    if (base.id) out(` ---> ${short(base.id)}\n`);
    const s = new StageRun(this, base, this.df.escape, st.index, io);
    const triggers = base.doc.config.OnBuild ?? [];
    if (triggers.length > 0) {
      out(`# Executing ${triggers.length} build trigger${triggers.length === 1 ? '' : 's'}\n`);
      s.rc.OnBuild = null;
      for (const t of triggers) {
        const df = parseDockerfile(`FROM scratch\n${t}\n`);
        const ins = df.stages[0].commands[0];
        if (ins.keyword === 'ONBUILD' || ins.keyword === 'FROM' || ins.keyword === 'MAINTAINER')
          throw new StepError(`${ins.keyword} isn't allowed as an ONBUILD trigger`);
        await s.dispatch(ins);
      }
    }
    for (const ins of [...st.commands, ...(extra ? [extra] : [])]) {
      if (io.signal.aborted) throw new BuildCancelled();
      stepLine(ins);
      await s.dispatch(ins);
    }
    return s.state;
  }

  // ---- services for StageRun ---------------------------------------------------------------------

  get engine(): Engine {
    return this.e;
  }

  get options(): BuildOptions {
    return this.o;
  }

  get buildDirs(): BuildDirs {
    return this.dirs;
  }

  get buildCache(): BuildCache {
    return this.cache;
  }

  declare(name: string): void {
    this.declared.add(name);
  }

  metaArg(name: string): { known: boolean; value: string | undefined } {
    return { known: this.metaArgs.has(name), value: this.metaArgs.get(name) };
  }

  buildArg(name: string): string | undefined {
    return this.arg(name);
  }

  keptContainer(id: string): void {
    this.containers.push(id);
  }

  /** The image `ref` names for COPY --from / --mount from=: a stage (name or index) or an image. */
  async sourceImage(ref: string, stageIndex: number, io: StageIO): Promise<ImageState> {
    const lower = ref.toLowerCase();
    const st =
      this.df.stages.find((s) => s.name === lower) ??
      (/^\d+$/.test(lower) ? this.df.stages[Number(lower)] : undefined);
    if (st) {
      if (st.index >= stageIndex)
        throw new StepError(`invalid from flag value ${ref}: refers to current build stage`);
      const r = this.stages.get(st.index);
      if (!r) throw new StepError(`invalid from flag value ${ref}: stage was not built`);
      return r;
    }
    return this.baseImage(ref, stageIndex, io);
  }
}

/** Mounts a read-only view of an image's files for the length of `fn`. */
async function withImageRoot<T>(e: Engine, img: ImageState, fn: (root: string) => Promise<T>): Promise<T> {
  if (img.doc.rootfs.diff_ids.length === 0) {
    const dir = mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'tsctr-build-empty-'));
    try {
      return await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const key = `build-view-${randomBytes(6).toString('hex')}`;
  // Under a lease: a view nothing else refers to would be the GC's to take.
  return withLease(e.c, async (c) => {
    const sn = c.snapshotter();
    await sn.view(key, chainIds(img.doc.rootfs.diff_ids).pop()!);
    try {
      return await sn.withTempMount(key, fn, { readonly: true, prefix: 'tsctr-build-from-' });
    } finally {
      await sn.remove(key).catch(() => undefined);
    }
  });
}

/** One stage's progress: the current image and Config, the ARGs in scope. */
class StageRun {
  rc: RunConfig;
  state: ImageState;
  private readonly args = new Map<string, string | undefined>();
  private cmdSet = false;

  constructor(
    private readonly b: Build,
    base: ImageState,
    private readonly escape: string,
    private readonly stageIndex: number,
    private readonly io: StageIO,
  ) {
    this.state = base;
    this.rc = structuredClone(base.doc.config);
    if (!this.rc.Env.some((kv) => kv.startsWith('PATH=')) && base.id)
      this.rc.Env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...this.rc.Env];
  }

  private write(text: string): void {
    this.io.write({ stream: text });
  }

  private get shell(): string[] {
    return this.rc.Shell && this.rc.Shell.length > 0 ? this.rc.Shell : DEFAULT_SHELL;
  }

  /** Env first, then the ARGs in scope that have a value. */
  private env(): EnvLookup {
    const envs = envLookup(this.rc.Env);
    return (n) => envs(n) ?? (this.args.has(n) ? this.args.get(n) : undefined);
  }

  private word(s: string): string {
    return processWord(s, this.env(), this.escape);
  }

  /** Build args in scope with a value, not shadowed by ENV (moby's FilterAllowed). */
  private buildArgEnv(): string[] {
    const envNames = new Set(this.rc.Env.map((kv) => kv.split('=')[0]));
    const out: string[] = [];
    for (const [k, v] of this.args) if (v !== undefined && !envNames.has(k)) out.push(`${k}=${v}`);
    return out.sort();
  }

  private proxyEnv(): string[] {
    const out: string[] = [];
    for (const k of PROXY_ARGS) {
      const v = this.b.buildArg(k);
      if (v !== undefined && !this.args.has(k)) out.push(`${k}=${v}`);
    }
    return out;
  }

  async dispatch(ins: Instruction): Promise<void> {
    switch (ins.keyword) {
      case 'RUN':
        return this.run(ins);
      case 'COPY':
      case 'ADD':
        return this.copy(ins);
      case 'WORKDIR':
        return this.workdir(ins);
      default:
        return this.meta(ins);
    }
  }

  // ---- metadata ----------------------------------------------------------------------------------

  private async meta(ins: Instruction): Promise<void> {
    const rc: RunConfig = structuredClone(this.rc);
    let text: string;
    let author: string | undefined;
    const env = this.env();
    switch (ins.keyword) {
      case 'ENV': {
        const pairs = keyValues(ins, env, this.escape);
        for (const [k, v] of pairs) rc.Env = setEnv(rc.Env, k, v);
        text = `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
        break;
      }
      case 'LABEL': {
        const pairs = keyValues(ins, env, this.escape);
        rc.Labels = { ...(rc.Labels ?? {}) };
        for (const [k, v] of pairs) rc.Labels[k] = v;
        text = `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
        break;
      }
      case 'MAINTAINER':
        author = ins.args;
        text = `MAINTAINER ${ins.args}`;
        break;
      case 'EXPOSE': {
        const words = splitWords(ins.args, this.escape).map((w) => processWord(w, env, this.escape));
        if (words.length === 0) throw new InvalidParameter('EXPOSE requires at least one argument');
        rc.ExposedPorts = { ...(rc.ExposedPorts ?? {}) };
        for (const p of exposedPorts(words)) rc.ExposedPorts[p] = {};
        text = `EXPOSE ${words.join(' ')}`;
        break;
      }
      case 'VOLUME': {
        const vols = (ins.json ?? splitWords(ins.args, this.escape)).map((w) =>
          processWord(w, env, this.escape),
        );
        if (vols.length === 0) throw new InvalidParameter('VOLUME requires at least one argument');
        rc.Volumes = { ...(rc.Volumes ?? {}) };
        for (const v of vols) {
          if (!v.trim()) throw new InvalidParameter('VOLUME specified can not be an empty string');
          rc.Volumes[v] = {};
        }
        text = `VOLUME [${vols.join(' ')}]`;
        break;
      }
      case 'USER':
        rc.User = processWord(ins.args, env, this.escape);
        if (!rc.User) throw new InvalidParameter('USER requires exactly one argument');
        text = `USER ${rc.User}`;
        break;
      case 'STOPSIGNAL': {
        const sig = processWord(ins.args, env, this.escape);
        if (!/^(SIG)?[A-Z0-9]+(\+\d+)?$/i.test(sig)) throw new InvalidParameter(`Invalid signal: ${sig}`);
        rc.StopSignal = sig;
        text = `STOPSIGNAL ${sig}`;
        break;
      }
      case 'CMD':
        rc.Cmd = commandOf(ins, this.shell);
        if (!ins.json) rc.ArgsEscaped = true;
        this.cmdSet = true;
        text = `CMD ${goQuoteList(rc.Cmd)}`;
        break;
      case 'ENTRYPOINT': {
        const ep = commandOf(ins, this.shell);
        rc.Entrypoint = ep.length > 0 ? ep : null;
        if (!this.cmdSet) rc.Cmd = null;
        text = `ENTRYPOINT ${goQuoteList(ep)}`;
        break;
      }
      case 'SHELL':
        if (!ins.json) throw new InvalidParameter('SHELL requires the arguments to be in JSON form');
        if (ins.json.length === 0) throw new InvalidParameter('SHELL requires at least one argument');
        rc.Shell = ins.json;
        text = `SHELL [${ins.json.join(' ')}]`;
        break;
      case 'HEALTHCHECK': {
        const hc = healthcheck(ins, this.shell);
        rc.Healthcheck = hc;
        text = healthText(hc);
        break;
      }
      case 'ONBUILD': {
        const m = /^(\S+)\s*([\s\S]*)$/.exec(ins.args.trim());
        if (!m) throw new InvalidParameter('ONBUILD requires at least one argument');
        const kw = m[1].toUpperCase();
        if (kw === 'ONBUILD')
          throw new InvalidParameter("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (kw === 'FROM' || kw === 'MAINTAINER')
          throw new InvalidParameter(`${kw} isn't allowed as an ONBUILD trigger`);
        const trigger = `${kw} ${m[2]}`.trim();
        rc.OnBuild = [...(rc.OnBuild ?? []), trigger];
        text = `ONBUILD ${trigger}`;
        break;
      }
      case 'ARG': {
        const parts: string[] = [];
        for (const [k, dflt] of this.argPairsScoped(ins)) {
          this.b.declare(k);
          const meta = this.b.metaArg(k);
          const value = this.b.buildArg(k) ?? dflt ?? (meta.known ? meta.value : undefined);
          this.args.set(k, value);
          parts.push(dflt === undefined ? k : `${k}=${dflt}`);
        }
        text = `ARG ${parts.join(' ')}`;
        break;
      }
      default:
        throw new InvalidParameter(`unknown instruction: ${ins.keyword}`);
    }
    await this.metaCommit(rc, text, author);
  }

  private argPairsScoped(ins: Instruction): Array<[string, string | undefined]> {
    const words = splitWords(ins.args, this.escape);
    if (words.length === 0) throw new InvalidParameter('ARG requires exactly one argument');
    return words.map((w) => {
      const i = w.indexOf('=');
      if (i < 0) return [w, undefined];
      return [w.slice(0, i), processWord(w.slice(i + 1), this.env(), this.escape)];
    });
  }

  private nop(text: string): string[] {
    return [...this.shell, `#(nop) `, text];
  }

  private async probe(cc: RunConfig): Promise<boolean> {
    if (this.b.options.noCache) return false;
    const hit = await this.b.buildCache.probe(this.state.id, cc);
    if (!hit) return false;
    this.write(' ---> Using cache\n');
    this.state = stateOf(hit);
    this.rc = structuredClone(this.state.doc.config);
    this.write(` ---> ${short(hit.id)}\n`);
    return true;
  }

  private async commit(
    cc: RunConfig,
    rc: RunConfig,
    containerId: string,
    makeLayer?: Parameters<typeof commitStep>[3],
    author?: string,
    layerSnapshotted = false,
  ): Promise<void> {
    const parent = author ? { ...this.state, doc: { ...this.state.doc, author } } : this.state;
    this.state = await commitStep(
      this.b.engine,
      parent,
      { runConfig: rc, containerConfig: cc, containerId },
      makeLayer,
      { layerSnapshotted },
    );
    this.rc = structuredClone(rc);
    this.b.buildCache.invalidate();
  }

  private async metaCommit(rc: RunConfig, text: string, author?: string): Promise<void> {
    const cc: RunConfig = { ...rc, Cmd: this.nop(text) };
    if (await this.probe(cc)) {
      this.rc = rc;
      return;
    }
    const id = newContainerId();
    this.write(` ---> Running in ${id.slice(0, 12)}\n`);
    await this.commit(cc, rc, id, undefined, author);
    if (this.b.options.rm) this.write(`Removing intermediate container ${id.slice(0, 12)}\n`);
    this.write(` ---> ${short(this.state.id)}\n`);
  }

  // ---- RUN ---------------------------------------------------------------------------------------

  private runCommand(ins: Instruction): string[] {
    if (ins.heredocs.length === 0) return commandOf(ins, this.shell);
    if (/^<<-?["']?[A-Za-z_][A-Za-z0-9_]*["']?$/.test(ins.args) && ins.heredocs.length === 1)
      return [...this.shell, ins.heredocs[0].content];
    const body = ins.heredocs.map((h) => `${h.content}${h.name}\n`).join('');
    return [...this.shell, `${ins.args}\n${body}`];
  }

  private hostConfig(binds: string[]): HostConfig {
    const o = this.b.options;
    return {
      NetworkMode: o.networkMode || 'default',
      ExtraHosts: o.extraHosts,
      ...(o.shmSize ? { ShmSize: o.shmSize } : {}),
      ...(o.memory ? { Memory: o.memory } : {}),
      ...(o.memSwap ? { MemorySwap: o.memSwap } : {}),
      ...(o.cpuShares ? { CpuShares: o.cpuShares } : {}),
      ...(o.cpusetCpus ? { CpusetCpus: o.cpusetCpus } : {}),
      ...(o.cpusetMems ? { CpusetMems: o.cpusetMems } : {}),
      ...(o.cpuPeriod ? { CpuPeriod: o.cpuPeriod } : {}),
      ...(o.cpuQuota ? { CpuQuota: o.cpuQuota } : {}),
      ...(o.cgroupParent ? { CgroupParent: o.cgroupParent } : {}),
      ...(o.ulimits.length ? { Ulimits: o.ulimits } : {}),
      Binds: binds,
    } as HostConfig;
  }

  /** RUN --mount=…: binds for the container and a description for the cache key. */
  private async mounts(
    ins: Instruction,
    cleanups: Array<() => Promise<void>>,
  ): Promise<{ binds: string[]; key: string }> {
    const binds: string[] = [];
    const keys: string[] = [];
    for (const f of ins.flags.filter((x) => x.name === 'mount')) {
      const kv = new Map<string, string>();
      for (const part of (f.value ?? '').split(',')) {
        const i = part.indexOf('=');
        kv.set(i < 0 ? part : part.slice(0, i), i < 0 ? 'true' : part.slice(i + 1));
      }
      const type = kv.get('type') ?? 'bind';
      const target = kv.get('target') ?? kv.get('dst') ?? kv.get('destination');
      if (!target) throw new InvalidParameter(`mount target must be set: ${f.value ?? ''}`);
      const dest = path.posix.isAbsolute(target)
        ? target
        : path.posix.join(this.rc.WorkingDir || '/', target);
      if (type === 'cache') {
        const id = kv.get('id') ?? dest;
        const dir = path.join(
          this.b.buildDirs.cacheMounts,
          createHash('sha256').update(id).digest('hex').slice(0, 32),
        );
        mkdirSync(dir, { recursive: true, mode: 0o755 });
        binds.push(`${dir}:${dest}:rw`);
        keys.push(`cache:${id}:${dest}`);
      } else if (type === 'bind') {
        const src = kv.get('source') ?? kv.get('src') ?? '.';
        const rw = kv.get('rw') === 'true' || kv.get('readwrite') === 'true';
        const from = kv.get('from');
        let root = '';
        if (from === undefined) root = await this.b.buildDirs.context.directory();
        else {
          const img = await this.b.sourceImage(from, this.stageIndex, this.io);
          const holder = mkdtempSync(path.join(this.b.buildDirs.tmp, 'from-'));
          await new Promise<void>((ready, fail) => {
            const done = withImageRoot(this.b.engine, img, async (r) => {
              root = r;
              ready();
              await new Promise<void>((release) => cleanups.push(async () => release()));
            });
            done.catch(fail);
            cleanups.push(() => done);
          });
          void holder;
        }
        const sources = await findSources(root, [src], 'RUN --mount', from === undefined);
        const host = path.join(root, sources[0].rel);
        binds.push(`${host}:${dest}:${rw ? 'rw' : 'ro'}`);
        keys.push(`bind:${from ?? ''}:${sources[0].hash}:${dest}:${rw}`);
      } else if (type === 'tmpfs') {
        binds.push(`${mkdtempSync(path.join(this.b.buildDirs.tmp, 'tmpfs-'))}:${dest}:rw`);
        keys.push(`tmpfs:${dest}`);
      } else {
        throw new InvalidParameter(`RUN --mount type=${type} is not supported (cache, bind and tmpfs are)`);
      }
    }
    return { binds, key: keys.join(';') };
  }

  private async run(ins: Instruction): Promise<void> {
    checkFlags(ins, ['mount', 'network']);
    const net = flag(ins, 'network');
    if (net !== undefined && net !== 'default')
      throw new InvalidParameter(`RUN --network=${net} is not supported (use the build's --network)`);
    const cmd = this.runCommand(ins);
    const argEnv = this.buildArgEnv();
    const saveCmd = argEnv.length > 0 ? [`|${argEnv.length}`, ...argEnv, ...cmd] : cmd;
    const cleanups: Array<() => Promise<void>> = [];
    try {
      const { binds, key } = await this.mounts(ins, cleanups);
      const cc: RunConfig & { tsctrMounts?: string } = {
        ...this.rc,
        Cmd: saveCmd,
        ...(key ? { tsctrMounts: key } : {}),
      };
      if (await this.probe(cc)) return;
      const e = this.b.engine;
      let id = '';
      const res = await runContainer(
        e,
        {
          image: this.state.id,
          cmd,
          env: [...this.rc.Env, ...argEnv, ...this.proxyEnv()],
          user: this.rc.User,
          workingDir: this.rc.WorkingDir,
          labels: this.rc.Labels,
          volumes: this.rc.Volumes,
          hostConfig: this.hostConfig(binds),
        },
        {
          created: (cid) => {
            id = cid;
            this.write(` ---> Running in ${cid.slice(0, 12)}\n`);
          },
          output: (kind, chunk) =>
            this.write(
              kind === 'stderr' ? `\u001b[91m${chunk.toString('utf8')}\u001b[0m` : chunk.toString('utf8'),
            ),
          signal: this.io.signal,
        },
      );
      if (res.code !== 0) {
        if (this.b.options.forceRm) await removeStepContainer(e, id).catch(() => undefined);
        else this.b.keptContainer(id);
        throw new StepError(`The command '${cmd.join(' ')}' returned a non-zero code: ${res.code}`, res.code);
      }
      try {
        await this.commit(cc, this.rc, id, (c) => snapshotLayer(c, id));
      } finally {
        if (this.b.options.rm) {
          await removeStepContainer(e, id);
          this.write(`Removing intermediate container ${id.slice(0, 12)}\n`);
        }
      }
      this.write(` ---> ${short(this.state.id)}\n`);
    } finally {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    }
  }

  // ---- COPY / ADD / WORKDIR ---------------------------------------------------------------------

  /** Runs `fn` on a writable snapshot of the current image; its changes become the step's layer. */
  /**
   * Runs `fn` on a writable snapshot of the current image; its changes become the step's layer.
   * `fn` returning false means it changed nothing: no layer then.
   */
  private layerFn(
    fn: (root: string) => Promise<boolean | void>,
  ): (c: Parameters<NonNullable<Parameters<typeof commitStep>[3]>>[0]) => Promise<Layer | undefined> {
    return async (c) => {
      const sn = c.snapshotter();
      const key = `build-${randomBytes(8).toString('hex')}`;
      const parent = this.state.doc.rootfs.diff_ids.length
        ? chainIds(this.state.doc.rootfs.diff_ids).pop()!
        : '';
      await sn.prepare(key, parent);
      try {
        const changed = await sn.withTempMount(key, fn, { prefix: 'tsctr-build-' });
        if (changed === false) {
          await sn.remove(key);
          return undefined;
        }
        const layer = await snapshotLayer(c, key);
        const chain = chainIds([...this.state.doc.rootfs.diff_ids, layer.diffId]).pop()!;
        // The snapshot is the new layer's: committed under its chain ID, unpacking has nothing to do.
        await sn.commit(chain, key).catch(async (err: unknown) => {
          await sn.remove(key).catch(() => undefined);
          // The same layer made before: its snapshot is there already.
          if (!isAlreadyExists(err)) throw err;
        });
        return layer;
      } catch (err) {
        await sn.remove(key).catch(() => undefined);
        throw err;
      }
    };
  }

  private async workdir(ins: Instruction): Promise<void> {
    const dir = this.word(ins.args);
    if (!dir) throw new InvalidParameter('WORKDIR requires exactly one argument');
    const wd = path.posix.isAbsolute(dir)
      ? path.posix.normalize(dir)
      : path.posix.join(this.rc.WorkingDir || '/', dir);
    const rc: RunConfig = { ...structuredClone(this.rc), WorkingDir: wd };
    const cc: RunConfig = { ...rc, Cmd: this.nop(`WORKDIR ${wd}`) };
    if (await this.probe(cc)) return;
    const id = newContainerId();
    this.write(` ---> Running in ${id.slice(0, 12)}\n`);
    // One writable snapshot: the directory is made when missing, else nothing changes (no layer).
    await this.commit(
      cc,
      rc,
      id,
      this.layerFn(async (root) => {
        const host = await resolveInRoot(root, wd);
        if (lstatSync(host, { throwIfNoEntry: false })?.isDirectory()) return false;
        mkdirSync(host, { recursive: true, mode: 0o755 });
        return true;
      }),
      undefined,
      true,
    );
    if (this.b.options.rm) this.write(`Removing intermediate container ${id.slice(0, 12)}\n`);
    this.write(` ---> ${short(this.state.id)}\n`);
  }

  private async copy(ins: Instruction): Promise<void> {
    const what = ins.keyword;
    checkFlags(ins, what === 'COPY' ? ['from', 'chown'] : ['chown']);
    const env = this.env();
    let words = ins.json ?? splitWords(ins.args, this.escape);
    if (ins.heredocs.length > 0) words = splitWords(ins.args, this.escape);
    if (words.length < 2)
      throw new InvalidParameter(
        `${what} requires at least two arguments, but only one was provided. Destination could not be determined.`,
      );
    const expanded = words.map((w) =>
      ins.heredocs.length && /^<</.test(w) ? w : processWord(w, env, this.escape),
    );
    let dest = expanded.pop()!;
    if (!path.posix.isAbsolute(dest)) {
      const slash = dest.endsWith('/') || dest === '.' || dest === './';
      dest = path.posix.join(this.rc.WorkingDir || '/', dest) + (slash && !dest.endsWith('/') ? '/' : '');
      if (slash && !dest.endsWith('/')) dest += '/';
    }
    const from = flag(ins, 'from');
    const chownSpec = flag(ins, 'chown');
    /** The step's cache config for these sources (moby: the checksums in the command). */
    const configOf = (sources: Source[]): RunConfig => {
      const comment = `${what} ${chownSpec ? `--chown=${chownSpec} ` : ''}${sourcesHash(sources)} in ${dest} `;
      return { ...this.rc, Cmd: [...this.shell, `#(nop) ${comment}`] };
    };
    /** Copies `sources` from `root` into a new layer (the cache missed). */
    const commitCopy = async (
      cc: RunConfig,
      root: string,
      sources: Source[],
      isContext: boolean,
    ): Promise<void> => {
      await this.commit(
        cc,
        this.rc,
        newContainerId(),
        this.layerFn(async (dst) => {
          const chown = await resolveChown(dst, chownSpec);
          await copyInto(dst, {
            srcRoot: root,
            sources,
            dest,
            chown,
            extractArchives: what === 'ADD' && isContext,
            what,
          });
        }),
        undefined,
        true,
      );
      this.write(` ---> ${short(this.state.id)}\n`);
    };
    /** `srcRoot` undefined: the build context (its files unpacked only when the cache misses). */
    const doCopy = async (srcRoot: string | undefined, fromContext: boolean): Promise<Source[]> => {
      let root = srcRoot;
      let patterns = expanded;
      if (ins.heredocs.length > 0) {
        root = mkdtempSync(path.join(this.b.buildDirs.tmp, 'heredoc-'));
        patterns = [];
        for (const w of expanded) {
          const h = ins.heredocs.find((x) => w.replace(/^<<-?["']?/, '').replace(/["']$/, '') === x.name);
          if (!h) throw new InvalidParameter(`${what} failed: heredoc ${w} not found`);
          const content = h.expand
            ? h.content.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, n: string) => env(n) ?? '')
            : h.content;
          writeFileSync(path.join(root, h.name), content, { mode: 0o644 });
          patterns.push(h.name);
        }
      } else {
        const urls = patterns.filter((p) => /^https?:\/\//.test(p));
        if (urls.length > 0) {
          if (what === 'COPY') throw new InvalidParameter("COPY failed: source can't be a URL for COPY");
          root = mkdtempSync(path.join(this.b.buildDirs.tmp, 'url-'));
          patterns = [];
          for (const u of expanded) {
            const res = await fetch(u, { signal: this.io.signal }).catch((err: Error) => {
              throw new StepError(`${what} failed: ${err.message}`);
            });
            if (!res.ok)
              throw new StepError(
                `${what} failed: Got HTTP status code >= 400: ${res.status} ${res.statusText}`,
              );
            const name = path.posix.basename(new URL(u).pathname) || 'index.html';
            writeFileSync(path.join(root, name), Buffer.from(await res.arrayBuffer()), { mode: 0o600 });
            patterns.push(name);
          }
          fromContext = false;
        }
      }
      const ctx = root === undefined ? this.b.buildDirs.context : undefined;
      const sources: Source[] = ctx
        ? await ctx.sources(patterns, what)
        : await findSources(root!, patterns, what, fromContext);
      const cc = configOf(sources);
      if (await this.probe(cc)) return sources;
      await commitCopy(cc, root ?? (await ctx!.directory()), sources, ctx !== undefined);
      return sources;
    };
    if (from !== undefined) {
      const img = await this.b.sourceImage(this.word(from), this.stageIndex, this.io);
      // An image's files never change: the checksums found once for these sources stand, and a
      // cache hit then needs no view of the image at all.
      const memo = this.b.buildCache.sources;
      const plain = ins.heredocs.length === 0 && !expanded.some((p) => /^https?:\/\//.test(p));
      const key = plain && img.id ? `${img.id}\n${what}\n${JSON.stringify(expanded)}` : '';
      const known = key ? memo.get(key) : undefined;
      if (known && (await this.probe(configOf(known)))) return;
      await withImageRoot(this.b.engine, img, async (root) => {
        const sources = await doCopy(root, false);
        if (key) memo.set(key, sources);
      });
    } else {
      await doCopy(undefined, true);
    }
  }
}

export { BuildCancelled, PARENT_LABEL };
