// The `platform` query parameter of image pull and container create, parsed as dockerd does (before
// anything else happens) with containerd's wording, which dockerd passes through.
import { type Platform, parsePlatform } from '../../client/remotes/platform.js';
import { InvalidParameter, errorMessage } from '../errdefs/index.js';

/** undefined for an absent or empty parameter; InvalidParameter (400) for one that does not parse. */
export function platformParam(text: string | undefined): Platform | undefined {
  if (!text) return undefined;
  try {
    return parsePlatform(text);
  } catch (err) {
    throw new InvalidParameter(`${errorMessage(err)}: invalid argument`);
  }
}
