// OCI whiteouts. `.wh.<name>` deletes <name> from the layers below; `.wh..wh..opq` in a directory
// hides everything the layers below have in it. Written into an overlay upper dir they become what
// overlayfs uses (a 0/0 char device, the trusted.overlay.opaque xattr); applied to a plain tree they
// delete. Per the OCI spec a whiteout never touches what this same layer unpacked.
import { lchownSync, readdirSync } from 'node:fs';
import { invalidArgument } from '../../api/errdefs.js';
import { type RootGuard, join, parentOf } from './confine.js';
import { S_IFCHR, lsetxattr, lutimesNs, mknod } from './syscalls.js';
import type { TarHeader } from './tar-format.js';
import { entryTimes } from './write-entry.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/** Paths (relative to the root) this layer has created so far, and the directories above them. */
export class UnpackedPaths {
  private readonly paths = new Set<string>();
  private readonly above = new Set<string>();

  add(rel: string): void {
    this.paths.add(rel);
    for (let p = parentOf(rel); p !== '' && !this.above.has(p); p = parentOf(p)) this.above.add(p);
  }

  has(rel: string): boolean {
    return this.paths.has(rel);
  }

  /** `rel` was unpacked, or something below it was. */
  touched(rel: string): boolean {
    return this.paths.has(rel) || this.above.has(rel);
  }
}

export interface WhiteoutContext {
  guard: RootGuard;
  mode: 'overlay' | 'naive';
  unpacked: UnpackedPaths;
}

/** The name a `.wh.<name>` entry deletes; refuses names that are not a single path component. */
export function whitedOutName(base: string, entry: string): string {
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..' || name.includes('/')) {
    throw invalidArgument(
      `tar entry ${JSON.stringify(entry)}: invalid whiteout name ${JSON.stringify(base)}`,
    );
  }
  return name;
}

/** Applies `.wh.<name>` in `dirRel` (whose parents the caller has verified). */
export function applyWhiteout(ctx: WhiteoutContext, dirRel: string, name: string, h: TarHeader): void {
  const rel = join(dirRel, name);
  if (ctx.unpacked.has(rel)) return;
  if (ctx.guard.lstat(rel)) ctx.guard.remove(rel);
  if (ctx.mode === 'naive') return;
  const abs = ctx.guard.abs(rel);
  mknod(abs, S_IFCHR, 0n);
  lchownSync(abs, h.uid, h.gid);
  const t = entryTimes(h);
  lutimesNs(abs, t.atimeNs, t.mtimeNs);
}

/** Applies `.wh..wh..opq` to the directory `dirRel` (verified by the caller). */
export function applyOpaque(ctx: WhiteoutContext, dirRel: string): void {
  if (ctx.mode === 'overlay') {
    lsetxattr(ctx.guard.abs(dirRel), 'trusted.overlay.opaque', Buffer.from('y'));
    return;
  }
  clearLower(ctx, dirRel);
}

/** Removes every entry under `dirRel` that this layer did not unpack (whatever the entry order). */
function clearLower(ctx: WhiteoutContext, dirRel: string): void {
  for (const name of readdirSync(ctx.guard.abs(dirRel))) {
    const rel = join(dirRel, name);
    if (!ctx.unpacked.touched(rel)) {
      ctx.guard.remove(rel);
      continue;
    }
    if (ctx.guard.lstat(rel)?.isDirectory()) clearLower(ctx, rel);
  }
}
