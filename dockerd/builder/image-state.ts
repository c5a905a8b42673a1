// The image a build step starts from and the one it makes: Docker's image config (config,
// container_config, history, rootfs) written through the backend's storeImage, each step image
// recorded with its parent's ID so the cache can find a parent's children (and image prune the chain).
import { randomBytes } from 'node:crypto';
import type { Connection } from '../../client/connection.js';
import { chainIds } from '../../client/images/chain.js';
import type { Descriptor } from '../../client/images/oci.js';
import type { Engine } from '../backend/engine.js';
import { PARENT_LABEL, type ResolvedImage } from '../backend/images.js';
import { storeImage, withLease } from '../backend/images/store-image.js';
import type { HealthConfig } from '../backend/types.js';

export const DOCKER_VERSION = '20.10.24';
export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** The Config of an image as the classic builder keeps it (field order as dockerd writes it). */
export interface RunConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  StopSignal?: string;
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  empty_layer?: boolean;
  comment?: string;
  author?: string;
}

export interface ImageDoc {
  architecture: string;
  variant?: string;
  os: string;
  config: RunConfig;
  container?: string;
  container_config?: RunConfig;
  created: string;
  docker_version?: string;
  author?: string;
  history: HistoryEntry[];
  rootfs: { type: string; diff_ids: string[] };
}

export interface ImageState {
  /** '' for scratch. */
  id: string;
  doc: ImageDoc;
  layers: Descriptor[];
}

export function goArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
}

export function emptyRunConfig(): RunConfig {
  return {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: [],
    Cmd: null,
    Image: '',
    Volumes: null,
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
  };
}

export function scratchState(): ImageState {
  return {
    id: '',
    doc: {
      architecture: goArch(),
      os: 'linux',
      config: emptyRunConfig(),
      created: new Date(0).toISOString(),
      history: [],
      rootfs: { type: 'layers', diff_ids: [] },
    },
    layers: [],
  };
}

/** A resolved image as the starting point of a stage. */
export function stateOf(img: ResolvedImage): ImageState {
  const raw = img.config as unknown as Partial<ImageDoc> & { config?: Partial<RunConfig> };
  const c: Partial<RunConfig> = raw.config ?? {};
  const rc: RunConfig = {
    ...emptyRunConfig(),
    ...c,
    Env: c.Env ?? [],
    Cmd: c.Cmd ?? null,
    Entrypoint: c.Entrypoint ?? null,
    Volumes: c.Volumes ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
  };
  return {
    id: img.id,
    doc: {
      architecture: raw.architecture ?? goArch(),
      ...(raw.variant ? { variant: raw.variant } : {}),
      os: raw.os ?? 'linux',
      ...(raw.author ? { author: raw.author } : {}),
      config: rc,
      created: raw.created ?? new Date(0).toISOString(),
      history: raw.history ?? [],
      rootfs: { type: 'layers', diff_ids: [...(raw.rootfs?.diff_ids ?? [])] },
    },
    layers: [...img.manifest.layers],
  };
}

export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

export interface CommitStep {
  runConfig: RunConfig;
  /** The config the cache compares: runConfig with the step's Cmd. */
  containerConfig: RunConfig;
  containerId: string;
  layer?: Layer;
  /** The step's top snapshot exists (no layer, or one committed under its chain ID). */
  snapshotReady?: boolean;
}

export type Layer = { desc: Descriptor; diffId: string };

/**
 * Stores the image a step makes on `parent`; returns its state. `makeLayer` runs under the same
 * lease as the image's records, so the layer blob it writes cannot be collected in between.
 */
export async function commitStep(
  e: Engine,
  parent: ImageState,
  step: Omit<CommitStep, 'layer'>,
  makeLayer?: (c: Connection) => Promise<Layer | undefined>,
  o: { layerSnapshotted?: boolean } = {},
): Promise<ImageState> {
  return withLease(e.c, async (c) => {
    const layer = makeLayer ? await makeLayer(c) : undefined;
    const ready = parent.id !== '' && (!layer || o.layerSnapshotted === true);
    return storeStep(c, parent, { ...step, ...(layer ? { layer } : {}), snapshotReady: ready });
  });
}

async function storeStep(c: Connection, parent: ImageState, s: CommitStep): Promise<ImageState> {
  const created = new Date().toISOString();
  const createdBy = (s.containerConfig.Cmd ?? []).join(' ');
  const doc: ImageDoc = {
    architecture: parent.doc.architecture,
    ...(parent.doc.variant ? { variant: parent.doc.variant } : {}),
    config: { ...s.runConfig, Image: parent.id },
    container: s.containerId,
    container_config: { ...s.containerConfig, Hostname: s.containerId.slice(0, 12), Image: parent.id },
    created,
    docker_version: DOCKER_VERSION,
    ...(parent.doc.author ? { author: parent.doc.author } : {}),
    history: [
      ...parent.doc.history,
      { created, created_by: createdBy, ...(s.layer ? {} : { empty_layer: true }) },
    ],
    os: parent.doc.os,
    rootfs: {
      type: 'layers',
      diff_ids: [...parent.doc.rootfs.diff_ids, ...(s.layer ? [s.layer.diffId] : [])],
    },
  };
  const layers = [...parent.layers, ...(s.layer ? [s.layer.desc] : [])];
  // Metadata steps keep the parent's top snapshot; COPY/ADD/WORKDIR layers were committed under
  // their chain ID already: only a RUN's layer (still the container's snapshot) needs unpacking.
  const top = chainIds(doc.rootfs.diff_ids).pop();
  const { id } = await storeImage(c, {
    config: doc,
    layers,
    labels: { [PARENT_LABEL]: parent.id || 'none' },
    ...(top && s.snapshotReady ? { topSnapshot: top } : {}),
  });
  return { id, doc, layers };
}

export const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
