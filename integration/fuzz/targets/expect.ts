// What counts as a target's normal refusal: a typed error of ours (any kind but Unknown), which the
// edges map to a 4xx / gRPC status. A TypeError, RangeError or untyped error is a finding.
import { TsctrError } from '../../../api/errdefs.js';
import { DockerError } from '../../../dockerd/errdefs/index.js';

export function typedRefusal(err: unknown): boolean {
  if (err instanceof TsctrError) return err.kind !== 'Unknown';
  if (err instanceof DockerError) return err.kind !== 'System';
  return false;
}

/** An invariant broken by an input (always a finding). */
export class Violation extends Error {
  override name = 'Violation';
}
