// What each router needs from the daemon core: one small interface per router (moby's
// router/*/backend.go). Routes depend on these, never on a class; the core's services implement them.
import type { Duplex, Readable, Writable } from 'node:stream';
import type { Platform } from '../../client/remotes/platform.js';
import type { Filters } from '../wire/filters.js';
import type { JsonMessage, JsonStreamWriter } from '../wire/jsonmessage.js';
import type { AttachOptions } from '../backend/containers/attach.js';
import type { Change } from '../backend/containers/changes.js';
import type { ExecConfig, ExecInstance } from '../backend/containers/exec.js';
import type { LogsOptions } from '../backend/containers/logs.js';
import type { UpdateBody } from '../backend/containers/update.js';
import type { DockerEvent } from '../backend/events.js';
import type { CommitOptions } from '../backend/images/commit.js';
import type { ContainerRecord, CreateBody, EndpointSettings } from '../backend/types.js';
import type { BuildOptions } from '../builder/options.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface ContainersBackend {
  container(ref: string): ContainerRecord;
  createContainer(
    body: CreateBody,
    name: string,
    platform?: Platform,
  ): Promise<{ Id: string; Warnings: string[] }>;
  listContainers(o: { all: boolean; limit: number; size: boolean; filters: Filters }): Promise<unknown[]>;
  inspectContainer(rec: ContainerRecord, size: boolean): Promise<Record<string, unknown>>;
  startContainer(rec: ContainerRecord): Promise<void>;
  stopContainer(rec: ContainerRecord, t: number | undefined): Promise<void>;
  restartContainer(rec: ContainerRecord, t: number | undefined): Promise<void>;
  killContainer(rec: ContainerRecord, signal: string | undefined): Promise<void>;
  pauseContainer(rec: ContainerRecord): Promise<void>;
  unpauseContainer(rec: ContainerRecord): Promise<void>;
  renameContainer(rec: ContainerRecord, name: string): Promise<void>;
  changes(rec: ContainerRecord): Promise<Change[]>;
  updateContainer(rec: ContainerRecord, body: UpdateBody): Promise<{ Warnings: string[] }>;
  resizeContainer(rec: ContainerRecord, h: number, w: number): Promise<void>;
  /** Resolves with the exit code, or undefined if the client went away first. */
  waitContainer(
    rec: ContainerRecord,
    condition: WaitCondition,
    signal: AbortSignal,
  ): Promise<number | undefined>;
  removeContainer(rec: ContainerRecord, o: { force: boolean; volumes: boolean }): Promise<void>;
  /** `docker rm --link /container/alias`: drops a legacy link. */
  removeLink(name: string): Promise<void>;
  pruneContainers(filters: Filters): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }>;
  checkDetachKeys(keys: string): void;
  attachContainer(rec: ContainerRecord, sock: Duplex, o: AttachOptions): Promise<void>;
  checkLogs(rec: ContainerRecord, o: LogsOptions): void;
  streamLogs(rec: ContainerRecord, out: Writable, o: LogsOptions, signal: AbortSignal): Promise<void>;
  top(rec: ContainerRecord, psArgs: string): Promise<unknown>;
  stats(
    rec: ContainerRecord,
    o: { stream: boolean; oneShot: boolean },
    write: (v: unknown) => void,
    signal: AbortSignal,
  ): Promise<void>;
  statPath(rec: ContainerRecord, p: string): Promise<string>;
  getArchive(
    rec: ContainerRecord,
    p: string,
  ): Promise<{ stat: string; open: (out: Writable) => Promise<void> }>;
  putArchive(
    rec: ContainerRecord,
    p: string,
    body: Readable,
    o: { noOverwriteDirNonDir: boolean },
  ): Promise<void>;
  exportContainer(rec: ContainerRecord, open: () => Writable): Promise<void>;
}

export interface ExecBackend {
  container(ref: string): ContainerRecord;
  checkDetachKeys(keys: string): void;
  createExec(rec: ContainerRecord, cfg: ExecConfig): string;
  exec(id: string): ExecInstance;
  checkExecStartable(x: ExecInstance): void;
  startExecDetached(x: ExecInstance): Promise<void>;
  /** Output framed by the start body's Tty, not the exec's (dockerd's rule). */
  startExecAttached(x: ExecInstance, sock: Duplex, o: { tty: boolean }): Promise<void>;
  resizeExec(x: ExecInstance, h: number, w: number): Promise<void>;
  inspectExec(x: ExecInstance): Record<string, unknown>;
}

export interface ImagesBackend {
  pullImage(
    fromImage: string,
    tag: string,
    auth: string | undefined,
    platform: string | undefined,
    open: () => JsonStreamWriter,
  ): Promise<JsonStreamWriter>;
  importImage(
    src: string,
    repo: string,
    tag: string,
    changes: string[],
    body: Readable,
    open: () => JsonStreamWriter,
  ): Promise<JsonStreamWriter>;
  commitContainer(ref: string, o: CommitOptions): Promise<string>;
  pushImage(
    name: string,
    tag: string,
    auth: string | undefined,
    write: (m: JsonMessage) => void,
  ): Promise<void>;
  listImages(o: { all: boolean; filters: Filters }): Promise<unknown[]>;
  inspectImage(ref: string): Promise<Record<string, unknown>>;
  imageHistory(ref: string): Promise<unknown>;
  tagImage(source: string, repo: string, tag: string): Promise<void>;
  removeImage(ref: string, force: boolean): Promise<unknown>;
  saveImages(names: string[], open: () => Writable): Promise<void>;
  loadImages(body: Readable): Promise<string[]>;
  pruneImages(filters: Filters): Promise<{ ImagesDeleted: unknown[]; SpaceReclaimed: number }>;
}

export interface VolumesBackend {
  listVolumes(filters: Filters): { Volumes: unknown[]; Warnings: null };
  createVolume(
    name: string,
    labels: Record<string, string> | null,
    opts: Record<string, string> | null,
  ): unknown;
  inspectVolume(name: string): unknown;
  removeVolume(name: string, force: boolean): void;
  pruneVolumes(filters: Filters): { VolumesDeleted: string[]; SpaceReclaimed: number };
}

export interface NetworksBackend {
  listNetworks(filters: Filters): unknown[];
  network(id: string): Record<string, unknown>;
  createNetwork(body: Record<string, unknown>): Promise<{ Id: string; Warning: string }>;
  removeNetwork(id: string): Promise<void>;
  pruneNetworks(filters: Filters): Promise<{ NetworksDeleted: string[] | null }>;
  connect(id: string, body: { Container?: string; EndpointConfig?: EndpointSettings | null }): Promise<void>;
  disconnect(id: string, body: { Container?: string; Force?: boolean }): Promise<void>;
}

export interface BuildBackend {
  /** Builds from `body` (the context); errors before `open` are the request's, later ones go in the stream. */
  build(o: BuildOptions, body: Readable, open: () => JsonStreamWriter, signal: AbortSignal): Promise<void>;
  pruneBuildCache(filters: Filters): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>;
}

export interface SystemBackend {
  info(): Promise<Record<string, unknown>>;
  version(): Promise<Record<string, unknown>>;
  df(): Promise<Record<string, unknown>>;
  login(a: {
    username?: string;
    password?: string;
    serveraddress?: string;
    identitytoken?: string;
  }): Promise<void>;
  streamEvents(
    o: { since?: string; until?: string; filters: Filters },
    write: (e: DockerEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
}
