/**
 * The kubelet's image pull policy decisions, for the agent's image-pull hook:
 *   - default policy (API defaulting): Always when the tag is "latest" (or absent, which means
 *     latest), IfNotPresent otherwise — also for digests;
 *   - whether to pull: Always → yes; IfNotPresent → when the image is missing; Never → never, and a
 *     missing image is ErrImageNeverPull with the kubelet's message.
 */
import { parseReference } from './reference.js';

export type ImagePullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export function defaultImagePullPolicy(image: string): ImagePullPolicy {
  let tag: string | undefined;
  try {
    const ref = parseReference(image);
    tag = ref.digest && !image.slice(0, image.indexOf('@')).match(/:[\w][\w.-]*$/) ? undefined : ref.tag;
  } catch {
    return 'IfNotPresent'; // an invalid name fails later with InvalidImageName
  }
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export type PullDecision = { pull: true } | { pull: false; error?: 'ErrImageNeverPull'; message?: string };

export function pullDecision(image: string, policy: ImagePullPolicy, present: boolean): PullDecision {
  switch (policy) {
    case 'Always': return { pull: true };
    case 'IfNotPresent': return present ? { pull: false } : { pull: true };
    case 'Never':
      return present ? { pull: false } : { pull: false, error: 'ErrImageNeverPull', message: `Container image "${image}" is not present with pull policy of Never` };
  }
}
