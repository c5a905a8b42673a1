// Pushes the project's own test images to a real Debian docker-registry on 127.0.0.1.
import { Registry } from '../client/remotes/index.js';
import { type RunningRegistry, startRegistry } from '../client/remotes/testing/registry-process.js';
import type { TestImage } from './testimages.js';

export { startRegistry, type RunningRegistry };

export async function pushTestImage(reg: RunningRegistry, repoTag: string, img: TestImage): Promise<string> {
  const r = new Registry({});
  const ref = `${reg.host}/${repoTag}`;
  for (const l of [...img.layers, img.config]) await r.pushBlob(ref, l, l.data);
  const tag = repoTag.split(':')[1] ?? 'latest';
  await r.pushManifest(ref, img.manifest, img.manifest.data, img.index ? {} : { tag });
  if (img.index) await r.pushManifest(ref, img.index, img.index.data, { tag });
  return ref;
}
