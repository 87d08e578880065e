import {
  InvalidReferenceError,
  formatReference,
  manifestReference,
  parseReference,
  type ImageReference,
} from '../reference/index.js';

/** What to do with one image string found in a manifest. */
export type ImagePlan =
  | { readonly action: 'keep-pinned' }
  | { readonly action: 'skip'; readonly prefix: string }
  | { readonly action: 'invalid'; readonly error: InvalidReferenceError }
  | { readonly action: 'resolve'; readonly reference: ImageReference; readonly key: string };

/**
 * Decides how to treat an image: references that already carry a digest are
 * left exactly as written (k8s-digester does the same), skip prefixes match
 * the string as written or its normalized form, and everything else is
 * resolved once per normalized `registry/repository:tag` key.
 */
export function planImage(image: string, skipPrefixes: readonly string[]): ImagePlan {
  let reference: ImageReference;
  try {
    reference = parseReference(image);
  } catch (error) {
    if (error instanceof InvalidReferenceError) return { action: 'invalid', error };
    throw error;
  }
  const normalized = formatReference(reference);
  const prefix = skipPrefixes.find((candidate) => image.startsWith(candidate) || normalized.startsWith(candidate));
  if (prefix !== undefined) return { action: 'skip', prefix };
  if (reference.digest !== undefined) return { action: 'keep-pinned' };
  const key = `${reference.registry}/${reference.repository}:${manifestReference(reference)}`;
  return { action: 'resolve', reference, key };
}
