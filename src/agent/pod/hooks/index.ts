/**
 * The pod lifecycle, in the order it happens. Start-up runs the list top to bottom on every sync
 * and stops at the first hook that must wait; stop runs it bottom to top (every hook, errors
 * collected); cleanup removes what each left on the host.
 */
import type { PodHook } from './hook.js';
import { deadlineHook } from './deadline-hook.js';
import { sandboxHook } from './sandbox-hook.js';
import { volumesHook } from './volumes-hook.js';
import { initContainersHook } from './init-containers-hook.js';
import { containersHook } from './containers-hook.js';
import { probesHook } from './probes-hook.js';
import { ephemeralContainersHook } from './ephemeral-containers-hook.js';

export const podLifecycle: readonly PodHook[] = [
  deadlineHook,        // activeDeadlineSeconds → DeadlineExceeded
  sandboxHook,         // network namespace, hostname, hostPorts, /etc/hosts, /etc/resolv.conf
  volumesHook,         // emptyDir, hostPath, configMap, secret, downwardAPI, projected (SA token)
  initContainersHook,  // one after another, each to success
  containersHook,      // pull, create, start, postStart; restart policy + crash-loop back-off
  ephemeralContainersHook, // kubectl debug: started once, never restarted
  probesHook,          // startup, liveness, readiness
];

export type { PodHook } from './hook.js';
