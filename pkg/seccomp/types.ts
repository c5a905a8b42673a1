// Seccomp shapes: the OCI runtime spec's `linux.seccomp` (what runc reads) and the profile format Docker
// users write (`--security-opt seccomp=<file>`: rules that apply only for some architectures, capabilities
// or kernels, resolved into an OCI filter for one container).

export type SeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

export type SeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

/** A condition on one syscall argument (`value`, and `valueTwo` for MASKED_EQ's mask order). */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOperator;
}

/** One OCI rule: these syscalls get `action` (when every arg condition holds). */
export interface LinuxSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
}

/** The OCI `linux.seccomp` object. */
export interface LinuxSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  /** `SCMP_ARCH_*` names the filter accepts; other architectures' syscalls get the kernel's KILL. */
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}

/** When a profile rule applies: all given conditions must hold (empty lists hold). */
export interface RuleFilter {
  /** Go architecture names (`amd64`, `arm64`, …) the host must be one of. */
  arches?: string[];
  /** Capabilities the container's bounding set must all hold. */
  caps?: string[];
  /** `major.minor`: the host kernel must be at least this. */
  minKernel?: string;
}

/** A rule of a Docker-format profile. */
export interface ProfileRule {
  name?: string;
  names?: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  comment?: string;
  /** The rule is kept only if every condition here holds. */
  includes?: RuleFilter;
  /** The rule is dropped if any condition here holds (minKernel: if the kernel is at least that). */
  excludes?: RuleFilter;
}

/** A Docker-format seccomp profile. */
export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  /** Fixed list of `SCMP_ARCH_*` (exclusive with archMap). */
  architectures?: string[] | null;
  /** For each native architecture, the sub-architectures it also runs. */
  archMap?: { architecture: string; subArchitectures: string[] | null }[] | null;
  flags?: string[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: ProfileRule[] | null;
}

/** What a profile is resolved for. */
export interface ResolveTarget {
  /** Node (`x64`, `arm64`, `ia32`, …) or Go (`amd64`, `386`, …) architecture name; default: this host. */
  arch?: string;
  /** The container's bounding capabilities (`CAP_*`). */
  capabilities: readonly string[];
  /** Host kernel release (`6.1.0-13-amd64`); default: this host's. */
  kernel?: string;
}
