// Platforms (os/arch/variant): parsing and normalising specifiers, this machine's default, and the matchers
// that pick manifests out of an OCI index or Docker manifest list, ordered as containerd's platforms.Only.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { invalidArgument, notFound } from '../../api/errdefs.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
  osFeatures?: string[];
}

/** A platform as found in an index's JSON ("os.version" etc. are ignored by matching). */
export interface PlatformLike {
  os?: string;
  architecture?: string;
  variant?: string;
}

export interface MatchComparer {
  match(p: PlatformLike): boolean;
  /** True when p1 should be preferred over p2. */
  less(p1: PlatformLike, p2: PlatformLike): boolean;
}

const knownOS = new Set(
  'aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris windows zos'.split(
    ' ',
  ),
);
const knownArch = new Set(
  (
    '386 amd64 amd64p32 arm armbe arm64 arm64be ppc64 ppc64le loong64 mips mipsle mips64 mips64le mips64p32 ' +
    'mips64p32le ppc riscv riscv64 s390 s390x sparc sparc64 wasm'
  ).split(' '),
);

/** Go's GOOS for this process. */
export function hostOS(): string {
  const p = process.platform;
  if (p === 'win32') return 'windows';
  if (p === 'sunos') return 'solaris';
  return p;
}

/** Go's GOARCH for this process. */
export function hostArch(): string {
  const a = process.arch;
  switch (a) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    case 'ppc64':
      return endianness() === 'LE' ? 'ppc64le' : 'ppc64';
    case 'mipsel':
      return 'mipsle';
    default:
      return a;
  }
}

/** The CPU variant of an ARM host, read from /proc/cpuinfo like containerd; '' elsewhere. */
function cpuVariantFrom(cpuinfo: string, arch: string): string {
  const field = (name: string): string | undefined => {
    for (const line of cpuinfo.split('\n')) {
      const [k, ...rest] = line.split(':');
      if (rest.length > 0 && k.trim().toLowerCase() === name) return rest.join(':').trim();
    }
    return undefined;
  };
  let v = field('cpu architecture');
  if (v === undefined) return '';
  if (arch === 'arm' && v === '7' && field('model name')?.toLowerCase().startsWith('armv6-compatible'))
    v = '6';
  const table: Record<string, string> = {
    '8': 'v8',
    aarch64: 'v8',
    '7': 'v7',
    '7m': 'v7',
    '6': 'v6',
    '6tej': 'v6',
  };
  for (const x of ['5', '5t', '5te', '5tej']) table[x] = 'v5';
  for (const x of ['?(12)', '?(13)', '?(14)', '?(15)', '?(16)', '?(17)']) table[x] = 'v7';
  return table[v.toLowerCase()] ?? (v === '4' || v === '4t' ? 'v4' : v === '3' ? 'v3' : 'unknown');
}

let cachedVariant: string | undefined;
function cpuVariant(): string {
  if (cachedVariant === undefined) {
    const arch = hostArch();
    cachedVariant = '';
    if (arch === 'arm' || arch === 'arm64') {
      try {
        cachedVariant = cpuVariantFrom(readFileSync('/proc/cpuinfo', 'utf8'), arch);
      } catch {
        cachedVariant = arch === 'arm64' ? 'v8' : 'v7';
      }
    }
  }
  return cachedVariant;
}

export function normalizeOS(os: string | undefined): string {
  if (!os) return hostOS();
  const lower = os.toLowerCase();
  return lower === 'macos' ? 'darwin' : lower;
}

export function normalizeArch(arch: string, variant: string): { architecture: string; variant: string } {
  let a = arch.toLowerCase();
  let v = variant.toLowerCase();
  switch (a) {
    case 'i386':
      a = '386';
      v = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      a = 'amd64';
      if (v === 'v1') v = '';
      break;
    case 'aarch64':
    case 'arm64':
      a = 'arm64';
      if (v === '8' || v === 'v8') v = '';
      break;
    case 'armhf':
      a = 'arm';
      v = 'v7';
      break;
    case 'armel':
      a = 'arm';
      v = 'v6';
      break;
    case 'arm':
      if (v === '' || v === '7') v = 'v7';
      else if (v === '5' || v === '6' || v === '8') v = `v${v}`;
      break;
  }
  return { architecture: a, variant: v };
}

function withVariant(os: string, architecture: string, variant: string): Platform {
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** Normalise aliases (x86_64 → amd64, aarch64 → arm64, armhf → arm/v7, …); '' OS means this host's. */
export function normalizePlatform(p: PlatformLike): Platform {
  const { architecture, variant } = normalizeArch(p.architecture ?? '', p.variant ?? '');
  return withVariant(normalizeOS(p.os), architecture, variant);
}

const componentRe = /^[A-Za-z0-9_-]+$/;

/** A specifier without a variant means arm/v7 implicitly; containerd leaves the variant empty then. */
function armV7AsPlain(p: { architecture: string; variant: string }): {
  architecture: string;
  variant: string;
} {
  return p.architecture === 'arm' && p.variant === 'v7' ? { architecture: 'arm', variant: '' } : p;
}

/** Parse "os", "arch", "os/arch" or "os/arch/variant" like containerd's platforms.Parse. */
export function parsePlatform(specifier: string): Platform {
  if (specifier.includes('*')) throw invalidArgument(`"${specifier}": wildcards not yet supported`);
  const parts = specifier.split('/');
  for (const part of parts) {
    if (!componentRe.test(part)) {
      throw invalidArgument(
        `"${part}" is an invalid component of "${specifier}": platform specifier component must match "${componentRe.source}"`,
      );
    }
  }
  if (parts.length === 1) {
    const os = normalizeOS(parts[0]);
    if (knownOS.has(os)) {
      const arch = hostArch();
      const v = arch === 'arm' && cpuVariant() !== 'v7' ? cpuVariant() : '';
      return withVariant(os, arch, v);
    }
    const { architecture, variant } = armV7AsPlain(normalizeArch(parts[0], ''));
    if (knownArch.has(architecture)) return withVariant(hostOS(), architecture, variant);
    throw invalidArgument(`"${specifier}": unknown operating system or architecture`);
  }
  if (parts.length === 2) {
    const { architecture, variant } = armV7AsPlain(normalizeArch(parts[1], ''));
    return withVariant(normalizeOS(parts[0]), architecture, variant);
  }
  if (parts.length === 3) {
    const { architecture, variant } = normalizeArch(parts[1], parts[2]);
    return withVariant(
      normalizeOS(parts[0]),
      architecture,
      architecture === 'arm64' && !variant ? 'v8' : variant,
    );
  }
  throw invalidArgument(`"${specifier}": cannot parse platform specifier`);
}

/** "linux/arm64/v8"; "unknown" without an OS. */
export function formatPlatform(p: PlatformLike): string {
  if (!p.os) return 'unknown';
  return [p.os, p.architecture, p.variant].filter((x) => x).join('/');
}

/** This machine: linux + its architecture (+ ARM variant), like containerd's platforms.DefaultSpec. */
export function defaultPlatform(): Platform {
  return withVariant(hostOS(), hostArch(), cpuVariant());
}

export function defaultPlatformString(): string {
  return formatPlatform(defaultPlatform());
}

/** Exact match after normalisation. */
export function platformMatches(want: PlatformLike, have: PlatformLike): boolean {
  const a = normalizePlatform(want);
  const b = normalizePlatform(have);
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

/** The platforms a host of `p` can run, best first (amd64 v3 → v2 → v1 → 386; arm64 → arm v8..v5). */
export function platformVector(p: Platform): Platform[] {
  const vector: Platform[] = [p];
  const base = { os: p.os, ...(p.osVersion ? { osVersion: p.osVersion } : {}) };
  const version = Number.parseInt((p.variant ?? '').replace(/^v/, ''), 10);
  if (p.architecture === 'amd64') {
    if (Number.isInteger(version) && version > 1) {
      for (let v = version - 1; v >= 1; v--)
        vector.push({ ...base, architecture: 'amd64', variant: `v${v}` });
    }
    vector.push({ ...base, architecture: '386' });
  } else if (p.architecture === 'arm') {
    if (Number.isInteger(version) && version > 5) {
      for (let v = version - 1; v >= 5; v--) vector.push({ ...base, architecture: 'arm', variant: `v${v}` });
    }
  } else if (p.architecture === 'arm64') {
    vector.push(...platformVector({ ...base, architecture: 'arm', variant: p.variant || 'v8' }));
  }
  return vector;
}

/** Match any of `platforms`, preferring earlier ones (containerd's platforms.Ordered). */
export function orderedMatcher(...platforms: PlatformLike[]): MatchComparer {
  const wants = platforms.map(normalizePlatform);
  const rank = (p: PlatformLike): number => wants.findIndex((w) => platformMatches(w, p));
  return {
    match: (p) => rank(p) !== -1,
    less: (p1, p2) => {
      const r1 = rank(p1);
      const r2 = rank(p2);
      return r1 !== -1 && (r2 === -1 || r1 < r2);
    },
  };
}

/** `p` and what it can also run, best first (containerd's platforms.Only). */
export function onlyMatcher(p: PlatformLike): MatchComparer {
  return orderedMatcher(...platformVector(normalizePlatform(p)));
}

/** Exactly `p` (containerd's platforms.OnlyStrict). */
export function onlyStrictMatcher(p: PlatformLike): MatchComparer {
  return orderedMatcher(normalizePlatform(p));
}

/** Any of `platforms`, none preferred (containerd's platforms.Any). */
export function anyMatcher(...platforms: PlatformLike[]): MatchComparer {
  const m = orderedMatcher(...platforms);
  return { match: m.match, less: (p1, p2) => m.match(p1) && !m.match(p2) };
}

export const allPlatforms: MatchComparer = { match: () => true, less: () => false };

/** The default for pulls: this machine's platform and those it can run (containerd's platforms.Default). */
export function defaultMatcher(): MatchComparer {
  return onlyMatcher(defaultPlatform());
}

/**
 * Pick children of an index for a pull, as containerd's FilterPlatforms + LimitManifests: keep entries with
 * no platform or a matching one, stable-sort best first (no platform last), keep at most `limit` (0 = all).
 * Throws NotFound when `limit` > 0 and nothing matches.
 */
export function selectManifests<T extends { platform?: PlatformLike }>(
  manifests: readonly T[],
  matcher: MatchComparer,
  limit = 1,
): T[] {
  const kept = manifests.filter((d) => !d.platform || matcher.match(d.platform));
  const sorted = kept
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      if (!a.d.platform && !b.d.platform) return a.i - b.i;
      if (!a.d.platform) return 1;
      if (!b.d.platform) return -1;
      if (matcher.less(a.d.platform, b.d.platform)) return -1;
      if (matcher.less(b.d.platform, a.d.platform)) return 1;
      return a.i - b.i;
    })
    .map((x) => x.d);
  if (limit > 0) {
    if (sorted.length === 0) throw notFound('no match for platform in manifest');
    return sorted.slice(0, limit);
  }
  return sorted;
}

/** Exposed for tests: the variant /proc/cpuinfo text implies for an ARM `arch`. */
export const parseCpuVariant = cpuVariantFrom;
