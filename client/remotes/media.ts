// Media types of images in registries (Docker schema 2 and OCI) and the questions pull/push ask about them.
import { notImplemented } from '../../api/errdefs.js';
import type { PlatformLike } from './platform.js';

/** An OCI content descriptor as it appears in manifests and indexes. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: PlatformLike & { 'os.version'?: string; 'os.features'?: string[] };
}

/** An image manifest (OCI or Docker schema 2). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** An image index (OCI) or manifest list (Docker). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export const MediaType = {
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerSchema1Manifest: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerLayerForeign: 'application/vnd.docker.image.rootfs.foreign.diff.tar',
  DockerLayerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OciLayerNonDistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciLayerNonDistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciLayerNonDistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
} as const;

/** The Accept list containerd sends when resolving a tag. */
export const manifestAccept = [
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
  MediaType.OciManifest,
  MediaType.OciIndex,
  '*/*',
].join(', ');

/** Split "base+ext1+ext2" into the base and its (sorted) suffixes. */
function split(mediaType: string): { base: string; ext: string[] } {
  const [base, ...ext] = mediaType.split('+');
  return { base, ext: ext.sort() };
}

export function isIndex(mediaType: string): boolean {
  return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
}

export function isManifest(mediaType: string): boolean {
  return mediaType === MediaType.OciManifest || mediaType === MediaType.DockerManifest;
}

/** Served from /manifests/ rather than /blobs/. */
export function isManifestOrIndex(mediaType: string): boolean {
  return isIndex(mediaType) || isManifest(mediaType) || mediaType === MediaType.DockerSchema1Manifest;
}

export function isConfig(mediaType: string): boolean {
  return mediaType === MediaType.OciConfig || mediaType === MediaType.DockerConfig;
}

export function isLayer(mediaType: string): boolean {
  if (mediaType.startsWith('application/vnd.oci.image.layer.')) return true;
  const { base } = split(mediaType);
  return (
    base === MediaType.DockerLayer ||
    base === MediaType.DockerLayerGzip ||
    base === MediaType.DockerLayerForeign ||
    base === MediaType.DockerLayerForeignGzip
  );
}

export function isNonDistributable(mediaType: string): boolean {
  return (
    mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.') ||
    mediaType.startsWith('application/vnd.docker.image.rootfs.foreign.')
  );
}

export function isDockerType(mediaType: string): boolean {
  return mediaType.startsWith('application/vnd.docker.');
}

export type Compression = 'gzip' | 'zstd' | 'unknown' | '';

/**
 * How a layer of this media type is compressed, as containerd's DiffCompression answers: '' for an
 * uncompressed OCI tar or a type with extra suffixes (e.g. +encrypted), 'unknown' for Docker's plain tar
 * (it may still be compressed). Throws NotImplemented for a type that is not a layer.
 */
export function layerCompression(mediaType: string): Compression {
  const { base, ext } = split(mediaType);
  switch (base) {
    case MediaType.DockerLayer:
    case MediaType.DockerLayerForeign:
      return ext.length > 0 ? '' : 'unknown';
    case MediaType.DockerLayerGzip:
    case MediaType.DockerLayerForeignGzip:
      return ext.length > 0 ? '' : 'gzip';
    case MediaType.OciLayer:
    case MediaType.OciLayerNonDistributable: {
      const last = ext[ext.length - 1];
      return last === 'gzip' || last === 'zstd' ? last : '';
    }
    default:
      throw notImplemented(`unrecognised mediatype ${mediaType}`);
  }
}
