// Seccomp for containers: Docker's default profile, Docker-format profiles, and their OCI form.
import { dockerDefaultProfile } from './default-profile.js';
import { resolveProfile } from './resolve.js';
import type { LinuxSeccomp, ResolveTarget } from './types.js';

export { dockerDefaultProfile } from './default-profile.js';
export { SeccompProfileError, goArch, nativeScmpArch, parseProfile, resolveProfile } from './resolve.js';
export type * from './types.js';

/**
 * The OCI `linux.seccomp` of Docker's default profile for a container with these (bounding) capabilities
 * on `arch` (Node or Go name; default: this host) and `kernel` (default: this host's).
 */
export function defaultSeccompProfile(target: ResolveTarget): LinuxSeccomp {
  return resolveProfile(dockerDefaultProfile(), target);
}
