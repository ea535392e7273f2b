/**
 * The pod sandbox: network namespace on the CNI bridge (or the host's), hostname, shared IPC/PID,
 * hostPort mappings, /etc/resolv.conf per dnsPolicy, and the pod's managed /etc/hosts. A sandbox
 * that stopped being ready (its namespaces are gone, e.g. after a reboot) is replaced: the old one's
 * containers are killed (SandboxChanged) and the pod starts again in a new one (attempt + 1).
 */
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PortMapping } from '../../../runtime/runtime.js';
import type { PodHook } from './hook.js';
import { podHostname, podHostsFile, podResolvConf } from '../dns.js';

export const sandboxHook: PodHook = {
  name: 'sandbox',
  async sync(ctx) {
    const { runtime, events } = ctx.svc;
    const pod = ctx.pod;
    let sb = ctx.state.readySandbox;
    if (!sb) {
      const old = ctx.state.sandbox;
      if (old) {
        events.pod(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
        await runtime.stopPodSandbox(old.id);
      }
      const spec = pod.spec!;
      const ports: PortMapping[] = [];
      for (const c of spec.containers) {
        for (const p of c.ports ?? []) {
          if (p.hostPort) ports.push({ containerPort: p.containerPort, hostPort: p.hostPort, protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'], ...(p.hostIP ? { hostIP: p.hostIP } : {}) });
        }
      }
      try {
        await runtime.runPodSandbox({
          name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, uid: ctx.uid,
          attempt: ctx.state.sandboxes.length,
          hostname: podHostname(pod, ctx.svc.clusterDomain).hostname,
          hostNetwork: spec.hostNetwork === true, hostPID: spec.hostPID === true, hostIPC: spec.hostIPC === true,
          shareProcessNamespace: spec.shareProcessNamespace === true,
          portMappings: ports,
          resolvConf: podResolvConf(pod, ctx.svc.clusterDns, ctx.svc.clusterDomain, ctx.svc.hostResolvConf),
          labels: { 'io.kubernetes.pod.name': pod.metadata!.name!, 'io.kubernetes.pod.namespace': pod.metadata!.namespace!, 'io.kubernetes.pod.uid': ctx.uid },
        });
      } catch (e) {
        const msg = (e as Error).message;
        events.pod(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${msg}`);
        ctx.log.warn('sandbox failed', { err: msg });
        ctx.wakeAt(ctx.svc.clock.now() + 5_000);
        return false;
      }
      await ctx.refresh();
      sb = ctx.state.readySandbox;
      if (!sb) return false;
    }
    if (!pod.spec?.hostNetwork) {
      const file = ctx.svc.paths.hostsFile(ctx.uid);
      const want = podHostsFile(pod, sb.ip, ctx.svc.clusterDomain);
      if (!existsSync(file) || readFileSync(file, 'utf8') !== want) {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, want, { mode: 0o644 });
      }
    }
    return true;
  },
  async stop(ctx) {
    for (const sb of ctx.state.sandboxes) if (sb.state === 'ready') await ctx.svc.runtime.stopPodSandbox(sb.id);
  },
  async cleanup(ctx) {
    for (const sb of ctx.state.sandboxes) await ctx.svc.runtime.removePodSandbox(sb.id);
  },
};
