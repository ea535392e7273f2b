/**
 * The image step of starting a container, with the kubelet's behaviour and words: pull policy
 * (Always / IfNotPresent / Never), image pull secrets (.dockerconfigjson / .dockercfg), events
 * Pulling / Pulled / Failed / BackOff, and ErrImagePull → ImagePullBackOff with the crash-loop
 * back-off timing (10 s doubling to 5 min) per pod and image. One deliberate difference: when the
 * registry is unreachable or remote pulls are off and the node already has the image, that copy
 * is used (an offline node still runs `busybox` with its default Always policy).
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ImageRecord } from '../../images/image-store.js';
import { ImagePullError, InvalidImageNameError } from '../../images/errors.js';
import { defaultImagePullPolicy, pullDecision, type ImagePullPolicy } from '../../images/pull-policy.js';
import type { PodContext } from './pod-context.js';

/** Go's time.Duration text for a measured pull time. */
export function goDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1000) return `${Math.round(ms * 1000) / 1000}ms`.replace(/(\.\d*?)0+ms$/, '$1ms').replace(/\.ms$/, 'ms');
  return `${Math.round(ms) / 1000}s`;
}

const lastFailure = new WeakMap<PodContext['svc'], Map<string, number>>();

async function pullSecrets(ctx: PodContext): Promise<string[]> {
  const out: string[] = [];
  for (const ref of ctx.pod.spec?.imagePullSecrets ?? []) {
    if (!ref.name) continue;
    try {
      const s = await ctx.svc.objects.secret(ctx.pod.metadata!.namespace!, ref.name);
      const data = s?.data.get('.dockerconfigjson') ?? s?.data.get('.dockercfg');
      if (data) out.push(data.toString('utf8'));
      else ctx.svc.events.pod(ctx.pod, 'Warning', 'FailedToRetrieveImagePullSecret', `Unable to retrieve some image pull secrets (${ref.name}); attempting to pull the image may not succeed.`);
    } catch {
      ctx.svc.events.pod(ctx.pod, 'Warning', 'FailedToRetrieveImagePullSecret', `Unable to retrieve some image pull secrets (${ref.name}); attempting to pull the image may not succeed.`);
    }
  }
  return out;
}

/** The image for `c`, pulled if the policy says so; undefined (and a waiting reason set) when it is not available. */
export async function ensureImage(ctx: PodContext, c: Container, init: boolean): Promise<ImageRecord | undefined> {
  const { images, events, backoff, clock } = ctx.svc;
  const image = c.image ?? '';
  const about = { name: c.name, init };
  let failures = lastFailure.get(ctx.svc);
  if (!failures) lastFailure.set(ctx.svc, (failures = new Map()));
  const policy = (c.imagePullPolicy as ImagePullPolicy | undefined) ?? defaultImagePullPolicy(image);
  let present: ImageRecord | undefined;
  try {
    present = await images.get(image);
  } catch (e) {
    if (e instanceof InvalidImageNameError) {
      ctx.waiting.set(c.name, { reason: 'InvalidImageName', message: e.message });
      events.pod(ctx.pod, 'Warning', 'InspectFailed', `Failed to apply default image tag "${image}": ${e.message}`, about);
      return undefined;
    }
    throw e;
  }
  const decision = pullDecision(image, policy, present !== undefined);
  if (!decision.pull) {
    if (decision.error) {
      ctx.waiting.set(c.name, { reason: decision.error, message: decision.message });
      events.pod(ctx.pod, 'Warning', decision.error, decision.message!, about);
      return undefined;
    }
    events.pod(ctx.pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, about);
    return present;
  }
  const key = `pull/${ctx.uid}/${image}`;
  const failedAt = failures.get(key);
  if (failedAt !== undefined && backoff.isInBackOffSince(key, failedAt)) {
    const msg = `Back-off pulling image "${image}"`;
    ctx.waiting.set(c.name, { reason: 'ImagePullBackOff', message: msg });
    events.pod(ctx.pod, 'Normal', 'BackOff', msg, about);
    events.pod(ctx.pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', about);
    ctx.wakeAt(backoff.readyAt(key, failedAt));
    return undefined;
  }
  if (ctx.stopping.aborted) return undefined;
  events.pod(ctx.pod, 'Normal', 'Pulling', `Pulling image "${image}"`, about);
  const t0 = performance.now();
  try {
    // Pods wanting the same image share one pull; this pod's deletion only lets go of it.
    const rec = await images.pull(image, { dockerConfigs: await pullSecrets(ctx), signal: ctx.stopping });
    const took = goDuration(performance.now() - t0);
    events.pod(ctx.pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${rec.size} bytes.`, about);
    failures.delete(key);
    backoff.reset(key);
    return rec;
  } catch (e) {
    if (!(e instanceof ImagePullError) && !(e instanceof InvalidImageNameError)) throw e;
    if (e instanceof ImagePullError && e.reason === 'Cancelled') {
      ctx.log.info('image pull abandoned: the pod is being deleted', { image });
      return undefined;
    }
    if (present && e instanceof ImagePullError && (e.reason === 'Disabled' || e.reason === 'Unreachable')) {
      // Offline node (remote registries off or unreachable): a copy it already has is used, so the
      // example images (busybox, busybox:latest, registry:2) run with their default Always policy.
      ctx.log.info('registry not reachable; using the image already on the node', { image, err: e.message });
      events.pod(ctx.pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, about);
      return present;
    }
    const now = clock.now();
    backoff.next(key, now);
    failures.set(key, now);
    ctx.wakeAt(backoff.readyAt(key, now));
    const reason = e instanceof InvalidImageNameError ? 'InvalidImageName' : 'ErrImagePull';
    ctx.waiting.set(c.name, { reason, message: e.message });
    events.pod(ctx.pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${e.message}`, about);
    events.pod(ctx.pod, 'Warning', 'Failed', `Error: ${reason}`, about);
    return undefined;
  }
}
