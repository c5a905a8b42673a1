// `--security-opt` as dockerd reads it: no-new-privileges, seccomp (default, unconfined or a profile's
// JSON text, which the CLI reads from the file), apparmor and label. What we cannot apply is refused.
import { readFileSync } from 'node:fs';
import { type SeccompProfile, SeccompProfileError, parseProfile } from '../../pkg/seccomp/index.js';
import { InvalidParameter } from '../errdefs/index.js';

export type SeccompChoice =
  { kind: 'default' } | { kind: 'unconfined' } | { kind: 'custom'; profile: SeccompProfile };

export interface SecurityChoices {
  noNewPrivileges: boolean;
  seccomp: SeccompChoice;
}

/** Daemon-wide security defaults (flags or daemon.json `"no-new-privileges"`, `"seccomp-profile"`). */
export interface SecurityDefaults {
  noNewPrivileges?: boolean;
  /** `--seccomp-profile`: what containers get unless they say otherwise, and its name for `docker info`. */
  seccomp?: { name: string; choice: SeccompChoice };
}

/** The daemon's `--seccomp-profile`: `builtin` (Docker's default), `unconfined`, or a profile file's path. */
export function daemonSeccomp(value: string): { name: string; choice: SeccompChoice } {
  if (value === '' || value === 'builtin' || value === 'default')
    return { name: 'default', choice: { kind: 'default' } };
  if (value === 'unconfined') return { name: 'unconfined', choice: { kind: 'unconfined' } };
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (err) {
    throw new Error(`opening seccomp profile (${value}) failed: ${(err as Error).message}`);
  }
  return { name: value, choice: { kind: 'custom', profile: parseProfile(text) } };
}

function parseBool(v: string): boolean | undefined {
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  return undefined;
}

/** The container's security choices from HostConfig.SecurityOpt; a bad or unsupported option is a 400. */
export function parseSecurityOpt(
  opts: readonly string[] | null | undefined,
  defaults: SecurityDefaults = {},
): SecurityChoices {
  // The daemon's default, which the container's own option overrides either way (as dockerd).
  let noNewPrivileges = defaults.noNewPrivileges === true;
  let seccomp: SeccompChoice = defaults.seccomp?.choice ?? { kind: 'default' };
  for (const opt of opts ?? []) {
    if (typeof opt !== 'string') throw new InvalidParameter(`invalid --security-opt: ${JSON.stringify(opt)}`);
    if (opt === 'no-new-privileges') {
      noNewPrivileges = true;
      continue;
    }
    // SELinux is not used here: disabling its labels is already the case.
    if (opt === 'disable') continue;
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (!sep) throw new InvalidParameter(`invalid --security-opt 1: "${opt}"`);
    const at = opt.indexOf(sep);
    const key = opt.slice(0, at);
    const value = opt.slice(at + 1);
    switch (key) {
      case 'no-new-privileges': {
        const b = parseBool(value);
        if (b === undefined) throw new InvalidParameter(`invalid --security-opt 2: "${opt}"`);
        noNewPrivileges = b;
        break;
      }
      case 'seccomp':
        if (value === 'unconfined') seccomp = { kind: 'unconfined' };
        else if (value === 'builtin' || value === 'default') seccomp = { kind: 'default' };
        else {
          try {
            seccomp = { kind: 'custom', profile: parseProfile(value) };
          } catch (err) {
            if (err instanceof SeccompProfileError) throw new InvalidParameter(err.message);
            throw err;
          }
        }
        break;
      case 'apparmor':
        if (value !== 'unconfined')
          throw new InvalidParameter(
            `apparmor profile "${value}": AppArmor is not supported by this daemon (only apparmor=unconfined)`,
          );
        break;
      case 'label':
        if (value !== 'disable')
          throw new InvalidParameter(
            `label "${value}": SELinux labels are not supported by this daemon (only label=disable)`,
          );
        break;
      default:
        throw new InvalidParameter(`invalid --security-opt 2: "${opt}"`);
    }
  }
  return { noNewPrivileges, seccomp };
}

/** `docker info`'s SecurityOptions (dockerd lists no-new-privileges nowhere; cgroupns on cgroup v2). */
export function securityInfo(defaults: SecurityDefaults, cgroupV2: boolean): string[] {
  return [
    `name=seccomp,profile=${defaults.seccomp?.name ?? 'default'}`,
    ...(cgroupV2 ? ['name=cgroupns'] : []),
  ];
}
