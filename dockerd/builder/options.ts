// What a /build request asks for, as the route reads it from the query (moby's newImageBuildOptions).
import type { Ulimit } from '../backend/types.js';

export interface BuildOptions {
  tags: string[];
  dockerfile: string;
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target: string;
  noCache: boolean;
  pull: boolean;
  rm: boolean;
  forceRm: boolean;
  quiet: boolean;
  cacheFrom: string[];
  networkMode: string;
  extraHosts: string[];
  shmSize: number;
  memory: number;
  memSwap: number;
  cpuShares: number;
  cpusetCpus: string;
  cpusetMems: string;
  cpuPeriod: number;
  cpuQuota: number;
  cgroupParent: string;
  ulimits: Ulimit[];
  platform: string;
  /** X-Registry-Config: registry host → auth object. */
  registryAuth: Record<string, Record<string, unknown>>;
}

export function defaultBuildOptions(): BuildOptions {
  return {
    tags: [],
    dockerfile: 'Dockerfile',
    buildArgs: {},
    labels: {},
    target: '',
    noCache: false,
    pull: false,
    rm: true,
    forceRm: false,
    quiet: false,
    cacheFrom: [],
    networkMode: '',
    extraHosts: [],
    shmSize: 0,
    memory: 0,
    memSwap: 0,
    cpuShares: 0,
    cpusetCpus: '',
    cpusetMems: '',
    cpuPeriod: 0,
    cpuQuota: 0,
    cgroupParent: '',
    ulimits: [],
    platform: '',
    registryAuth: {},
  };
}

/** The predefined proxy args: usable without an ARG, never reported unused, kept out of history. */
export const PROXY_ARGS = new Set([
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
]);
