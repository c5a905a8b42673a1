// Image references as the Docker API checks them, with distribution/reference's error texts (which
// carry no copy of the offending text, unlike client/remotes' messages): for tag, pull and push, all
// checked before the image store or a registry is asked anything.
import { type ImageReference, parseReference } from '../../client/remotes/reference.js';
import { InvalidParameter } from '../errdefs/index.js';

const TAG = /^[\w][\w.-]{0,127}$/;

function referenceText(text: string, message: string): string {
  if (text === '') return 'repository name must have at least one component';
  if (/must be lowercase/.test(message)) return 'invalid reference format: repository name must be lowercase';
  if (/^invalid reference format/.test(message)) return 'invalid reference format';
  return message;
}

/** reference.ParseNormalizedNamed: InvalidParameter with the package's text. */
export function parseNamed(text: string): ImageReference {
  try {
    return parseReference(text);
  } catch (err) {
    throw new InvalidParameter(referenceText(text, (err as Error).message));
  }
}

/** reference.WithTag's check of a tag. */
export function checkTag(tag: string): void {
  if (!TAG.test(tag)) throw new InvalidParameter('invalid tag format');
}
