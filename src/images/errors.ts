/**
 * Image errors. Their messages are what a pod shows as the reason of ErrImagePull /
 * InvalidImageName, so each says exactly what failed, in the words the kubelet and containerd use.
 */

/** The image name cannot be parsed (the kubelet reports InvalidImageName). */
export class InvalidImageNameError extends Error {
  override readonly name = 'InvalidImageNameError';
  constructor(readonly image: string, readonly detail: string) {
    super(`couldn't parse image name "${image}": ${detail}`);
  }
}

/** Why a pull failed; the agent maps these onto events and back-off. */
export type PullFailure =
  | 'NotFound'          // manifest unknown / repository does not exist
  | 'Unauthorized'      // 401/403, no or wrong credentials
  | 'DigestMismatch'    // content did not match its digest
  | 'Unreachable'       // connection refused, DNS, timeout, TLS
  | 'Unsupported'       // no manifest for this platform, unknown media type
  | 'Disabled'          // non-loopback registry while remote pulls are disabled
  | 'Cancelled'         // stopped through the pull's AbortSignal
  | 'Failed';           // anything else (unexpected status, unpack error)

export class ImagePullError extends Error {
  override readonly name = 'ImagePullError';
  constructor(readonly reason: PullFailure, message: string) {
    super(message);
  }
}

/** Wraps a failure the way the kubelet words ErrImagePull messages. */
export function pullFailed(image: string, cause: ImagePullError): ImagePullError {
  return new ImagePullError(cause.reason, `failed to pull and unpack image "${image}": ${cause.message}`);
}
