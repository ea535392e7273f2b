/**
 * What the runtime holds for one pod, read fresh on every sync (the runtime keeps its state on
 * disk, so this is also how a restarted agent re-adopts running pods): its sandboxes and every
 * container instance, newest last.
 */
import type { ContainerStatus, PodSandboxStatus, Runtime } from '../../runtime/runtime.js';

export class PodRuntimeState {
  constructor(readonly sandboxes: PodSandboxStatus[], readonly containers: ContainerStatus[]) {}

  static async read(runtime: Runtime, podUid: string): Promise<PodRuntimeState> {
    const sandboxes = await runtime.listPodSandboxes({ podUid });
    const containers = await runtime.listContainers({ labels: { 'io.kubernetes.pod.uid': podUid } });
    return new PodRuntimeState(sandboxes, containers);
  }

  /** The newest sandbox (ready or not). */
  get sandbox(): PodSandboxStatus | undefined { return this.sandboxes[this.sandboxes.length - 1]; }

  /** The newest sandbox when it is ready. */
  get readySandbox(): PodSandboxStatus | undefined {
    const s = this.sandbox;
    return s?.state === 'ready' ? s : undefined;
  }

  /** Instances of a container, oldest first. */
  instances(name: string): ContainerStatus[] { return this.containers.filter((c) => c.name === name); }

  latest(name: string): ContainerStatus | undefined { const i = this.instances(name); return i[i.length - 1]; }

  previous(name: string): ContainerStatus | undefined { const i = this.instances(name); return i[i.length - 2]; }

  /** The newest instance in the current sandbox. */
  current(name: string): ContainerStatus | undefined {
    const sb = this.sandbox;
    const i = this.instances(name).filter((c) => c.sandboxId === sb?.id);
    return i[i.length - 1];
  }

  running(): ContainerStatus[] { return this.containers.filter((c) => c.state === 'running' || c.state === 'created'); }
}
