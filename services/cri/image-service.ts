// runtime.v1.ImageService: a thin adapter over CriImages.
import type { Image, ImageServiceServer } from '../../api/gen/runtime/v1/api.js';
import { invalidArgument, isNotFound } from '../../api/errdefs.js';
import type { Edge } from '../server/grpc.js';
import type { CriImage, CriImages } from './images.js';

function uidOf(img: CriImage): { uid?: { value: number }; username: string } {
  const user = (img.config.config?.User ?? '').split(':')[0];
  if (/^\d+$/.test(user)) return { uid: { value: Number(user) }, username: '' };
  return { username: user };
}

export function toCriImage(img: CriImage): Image {
  return {
    id: img.id,
    repoTags: img.repoTags,
    repoDigests: img.repoDigests,
    size: img.size,
    ...uidOf(img),
    spec: { image: img.id, annotations: {}, userSpecifiedImage: '', runtimeHandler: '' },
    pinned: false,
  };
}

function decodeAuth(a: { username: string; password: string; auth: string }): {
  username: string;
  password: string;
} {
  if (!a.auth) return { username: a.username, password: a.password };
  const text = Buffer.from(a.auth, 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i === -1) throw invalidArgument('auth: expected base64 of "username:password"');
  return { username: text.slice(0, i), password: text.slice(i + 1) };
}

export function imageService(edge: Edge, images: CriImages, fsDir: string): ImageServiceServer {
  return {
    listImages: edge.unary('ListImages', async (req) => {
      let all = await images.list();
      const want = req.filter?.image?.image;
      if (want) {
        const one = await images.find(want);
        all = one ? [one] : [];
      }
      return { images: all.map(toCriImage) };
    }),
    imageStatus: edge.unary('ImageStatus', async (req) => {
      const img = await images.find(req.image?.image ?? '');
      if (!img) return { info: {} };
      const info: Record<string, string> = req.verbose
        ? { info: JSON.stringify({ id: img.id, config: img.config, names: img.names }) }
        : {};
      return { image: toCriImage(img), info };
    }),
    pullImage: edge.unary('PullImage', async (req) => {
      const ref = req.image?.image ?? '';
      if (!ref) throw invalidArgument('PullImage: image must be set');
      const a = req.auth;
      const auth =
        a && (a.username || a.password || a.auth || a.identityToken || a.registryToken)
          ? {
              ...decodeAuth(a),
              ...(a.identityToken || a.registryToken
                ? { identityToken: a.identityToken || a.registryToken }
                : {}),
              ...(a.serverAddress ? { serverAddress: a.serverAddress } : {}),
            }
          : undefined;
      return { imageRef: await images.pull(ref, auth) };
    }),
    removeImage: edge.unary('RemoveImage', async (req) => {
      try {
        await images.remove(req.image?.image ?? '');
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return {};
    }),
    imageFsInfo: edge.unary('ImageFsInfo', async () => {
      const u = await images.fsInfo(fsDir);
      const usage = {
        timestamp: Date.now() * 1e6,
        fsId: { mountpoint: fsDir },
        usedBytes: { value: u.usedBytes },
        inodesUsed: { value: u.inodesUsed },
      };
      return { imageFilesystems: [usage], containerFilesystems: [] };
    }),
  };
}
