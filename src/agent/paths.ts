/**
 * The agent's files inside the peapod data dir (as the kubelet's /var/lib/kubelet):
 *
 *   DIR/agent/credentials/       node client certificate (peapod agent)
 *   DIR/agent/manifests/         static pod manifests (default --pod-manifest-path)
 *   DIR/agent/images/            image store; OCI tarballs (*.tar) dropped here are imported at start
 *   DIR/agent/runtime/           OCI runtime state (sandboxes, containers, exits)
 *   DIR/agent/cni/               host-local IPAM state
 *   DIR/agent/pods/UID/          per pod: etc-hosts, volumes/PLUGIN/NAME, containers/NAME/N (termination logs)
 *   DIR/agent/logs/NS_NAME_UID/NAME/N.log   CRI container logs (as /var/log/pods)
 */
import { join } from 'node:path';

export class AgentPaths {
  readonly root: string;
  constructor(readonly dataDir: string) { this.root = join(dataDir, 'agent'); }
  get credentialsDir(): string { return join(this.root, 'credentials'); }
  get manifestsDir(): string { return join(this.root, 'manifests'); }
  get imagesDir(): string { return join(this.root, 'images'); }
  get runtimeDir(): string { return join(this.root, 'runtime'); }
  get cniDir(): string { return join(this.root, 'cni'); }
  get podsDir(): string { return join(this.root, 'pods'); }
  get logsDir(): string { return join(this.root, 'logs'); }
  podDir(uid: string): string { return join(this.podsDir, uid); }
  volumeDir(uid: string, plugin: string, name: string): string { return join(this.podDir(uid), 'volumes', plugin, name); }
  hostsFile(uid: string): string { return join(this.podDir(uid), 'etc-hosts'); }
  terminationLog(uid: string, container: string, attempt: number): string { return join(this.podDir(uid), 'containers', container, String(attempt)); }
  podLogDir(namespace: string, name: string, uid: string): string { return join(this.logsDir, `${namespace}_${name}_${uid}`); }
  containerLog(namespace: string, name: string, uid: string, container: string, attempt: number): string {
    return join(this.podLogDir(namespace, name, uid), container, `${attempt}.log`);
  }
}
