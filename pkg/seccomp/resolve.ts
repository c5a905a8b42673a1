// From a Docker-format profile to the OCI filter of one container: keep the architectures of this host,
// and the rules whose arch / capability / kernel conditions hold for it (the way dockerd does it).
import os from 'node:os';
import type {
  LinuxSeccomp,
  LinuxSyscall,
  ProfileRule,
  ResolveTarget,
  RuleFilter,
  SeccompAction,
  SeccompOperator,
  SeccompProfile,
} from './types.js';

/** A profile that cannot be used; the message says why. */
export class SeccompProfileError extends Error {
  override name = 'SeccompProfileError';
}

const NODE_TO_GO: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm: 'arm',
  arm64: 'arm64',
  ppc64: os.endianness() === 'LE' ? 'ppc64le' : 'ppc64',
  s390x: 's390x',
  s390: 's390',
  riscv64: 'riscv64',
  mips: 'mips',
  mipsel: 'mipsle',
  mips64: 'mips64',
  mips64el: 'mips64le',
  loong64: 'loong64',
};

const GO_TO_SCMP: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64',
  '386': 'SCMP_ARCH_X86',
  arm64: 'SCMP_ARCH_AARCH64',
  arm: 'SCMP_ARCH_ARM',
  mips: 'SCMP_ARCH_MIPS',
  mipsle: 'SCMP_ARCH_MIPSEL',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64le: 'SCMP_ARCH_MIPSEL64',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
  riscv64: 'SCMP_ARCH_RISCV64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
};

/** The Go name of an architecture given by its Node or Go name. */
export function goArch(arch: string = process.arch): string {
  return NODE_TO_GO[arch] ?? arch;
}

/** The libseccomp name (`SCMP_ARCH_X86_64`) of an architecture given by its Node or Go name. */
export function nativeScmpArch(arch: string = process.arch): string | undefined {
  return GO_TO_SCMP[goArch(arch)];
}

/** `[major, minor]` of a kernel release such as `6.1.0-13-amd64`. */
function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) throw new SeccompProfileError(`cannot read kernel version ${JSON.stringify(release)}`);
  return [Number(m[1]), Number(m[2])];
}

function atLeast(have: [number, number], want: string): boolean {
  const w = kernelVersion(want);
  return have[0] > w[0] || (have[0] === w[0] && have[1] >= w[1]);
}

interface Host {
  arch: string;
  caps: ReadonlySet<string>;
  kernel: [number, number];
}

function filterHolds(f: RuleFilter, h: Host, mode: 'all' | 'any'): boolean {
  const checks: boolean[] = [];
  if (f.arches && f.arches.length > 0) checks.push(f.arches.includes(h.arch));
  if (f.caps && f.caps.length > 0)
    checks.push(mode === 'all' ? f.caps.every((c) => h.caps.has(c)) : f.caps.some((c) => h.caps.has(c)));
  if (f.minKernel) checks.push(atLeast(h.kernel, f.minKernel));
  return mode === 'all' ? checks.every(Boolean) : checks.some(Boolean);
}

function ruleApplies(r: ProfileRule, h: Host): boolean {
  if (r.excludes && filterHolds(r.excludes, h, 'any')) return false;
  return !r.includes || filterHolds(r.includes, h, 'all');
}

function architectures(p: SeccompProfile, arch: string): string[] | undefined {
  if (p.architectures && p.architectures.length > 0) return [...p.architectures];
  const native = nativeScmpArch(arch);
  const out: string[] = [];
  for (const a of p.archMap ?? []) {
    if (a.architecture === native) out.push(a.architecture, ...(a.subArchitectures ?? []));
  }
  return out.length > 0 ? out : undefined;
}

function ociRule(r: ProfileRule): LinuxSyscall {
  const out: LinuxSyscall = { names: r.names ? [...r.names] : [r.name!], action: r.action };
  if (r.errnoRet !== undefined) out.errnoRet = r.errnoRet;
  if (r.args && r.args.length > 0) out.args = r.args.map((a) => ({ ...a }));
  return out;
}

/** The OCI `linux.seccomp` a container with `target`'s capabilities gets from profile `p`. */
export function resolveProfile(p: SeccompProfile, target: ResolveTarget): LinuxSeccomp {
  const host: Host = {
    arch: goArch(target.arch),
    caps: new Set(target.capabilities),
    kernel: kernelVersion(target.kernel ?? os.release()),
  };
  const out: LinuxSeccomp = { defaultAction: p.defaultAction };
  if (p.defaultErrnoRet !== undefined) out.defaultErrnoRet = p.defaultErrnoRet;
  const arches = architectures(p, host.arch);
  if (arches) out.architectures = arches;
  if (p.flags && p.flags.length > 0) out.flags = [...p.flags];
  if (p.listenerPath) out.listenerPath = p.listenerPath;
  if (p.listenerMetadata) out.listenerMetadata = p.listenerMetadata;
  out.syscalls = (p.syscalls ?? []).filter((r) => ruleApplies(r, host)).map(ociRule);
  return out;
}

const ACTIONS: ReadonlySet<string> = new Set<SeccompAction>([
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
]);
const OPERATORS: ReadonlySet<string> = new Set<SeccompOperator>([
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
]);

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrList = (v: unknown): boolean =>
  v == null || (Array.isArray(v) && v.every((s) => typeof s === 'string'));

function fail(msg: string): never {
  throw new SeccompProfileError(`Decoding seccomp profile failed: ${msg}`);
}

function checkFilter(f: unknown, where: string): void {
  if (f == null) return;
  if (!isObj(f)) fail(`${where} must be an object`);
  if (!isStrList(f.arches) || !isStrList(f.caps)) fail(`${where}: arches and caps must be lists of strings`);
  if (f.minKernel != null && (typeof f.minKernel !== 'string' || !/^\d+\.\d+/.test(f.minKernel)))
    fail(`${where}: invalid minKernel ${JSON.stringify(f.minKernel)}`);
}

/** A Docker-format profile from its JSON text, checked; throws SeccompProfileError saying what is wrong. */
export function parseProfile(text: string): SeccompProfile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    fail((err as Error).message);
  }
  if (!isObj(v)) fail('the profile must be a JSON object');
  if (typeof v.defaultAction !== 'string' || !ACTIONS.has(v.defaultAction))
    fail(`invalid defaultAction ${JSON.stringify(v.defaultAction)}`);
  if (v.defaultErrnoRet != null && !Number.isInteger(v.defaultErrnoRet))
    fail('defaultErrnoRet must be an integer');
  if (!isStrList(v.architectures) || !isStrList(v.flags))
    fail('architectures and flags must be lists of strings');
  const hasArches = Array.isArray(v.architectures) && v.architectures.length > 0;
  if (hasArches && Array.isArray(v.archMap) && v.archMap.length > 0)
    fail("use either 'architectures' or 'archMap'");
  if (v.archMap != null) {
    if (!Array.isArray(v.archMap)) fail('archMap must be a list');
    for (const a of v.archMap as unknown[]) {
      if (!isObj(a) || typeof a.architecture !== 'string' || !isStrList(a.subArchitectures))
        fail('each archMap entry needs an architecture and a list of subArchitectures');
    }
  }
  if (v.syscalls != null && !Array.isArray(v.syscalls)) fail('syscalls must be a list');
  for (const [i, r] of ((v.syscalls as unknown[] | null) ?? []).entries()) {
    const where = `syscalls[${i}]`;
    if (!isObj(r)) fail(`${where} must be an object`);
    const hasName = typeof r.name === 'string' && r.name !== '';
    const hasNames = Array.isArray(r.names) && r.names.length > 0;
    if (hasName && hasNames) fail("use either 'name' or 'names'");
    if (!hasName && !hasNames) fail(`${where} names no syscall`);
    if (!isStrList(r.names)) fail(`${where}.names must be a list of strings`);
    if (typeof r.action !== 'string' || !ACTIONS.has(r.action))
      fail(`${where}: invalid action ${JSON.stringify(r.action)}`);
    if (r.errnoRet != null && !Number.isInteger(r.errnoRet)) fail(`${where}.errnoRet must be an integer`);
    if (r.args != null) {
      if (!Array.isArray(r.args)) fail(`${where}.args must be a list`);
      for (const a of r.args as unknown[]) {
        if (!isObj(a) || !Number.isInteger(a.index) || !Number.isInteger(a.value))
          fail(`${where}: each arg needs an integer index and value`);
        if (typeof a.op !== 'string' || !OPERATORS.has(a.op))
          fail(`${where}: invalid op ${JSON.stringify(a.op)}`);
      }
    }
    checkFilter(r.includes, `${where}.includes`);
    checkFilter(r.excludes, `${where}.excludes`);
  }
  return v as unknown as SeccompProfile;
}
