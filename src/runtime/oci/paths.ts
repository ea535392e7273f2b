/**
 * State directory layout of the OCI runtime (everything under one data dir, e.g. DATA/runtime):
 *
 *   runc/                         runc --root (crun/ for crun)
 *   exits/<containerId>           conmon exit files (decimal exit code)
 *   attach/<containerId>          conmon attach symlinks (→ the bundle dir, which holds `attach`)
 *   sandboxes/<sandboxId>/
 *     sandbox.json                sandbox record (config, ip, CNI result, infra pid)
 *     ns/{net,ipc,uts}            pinned namespaces (bind mounts of nsfs files)
 *     shm/                        per-pod /dev/shm (tmpfs)
 *     hosts resolv.conf hostname  files bind-mounted into every container
 *   containers/<containerId>/     the OCI bundle
 *     container.json              container record (config, sandbox, times, exit, reason)
 *     config.json                 OCI runtime spec
 *     upper/ work/ rootfs/        overlayfs upper, work and merged dirs
 *     pid conmon.pid              pid files; ctl winsz attach: conmon FIFOs and socket
 *   exec/<execId>/                one exec session with a terminal (conmon exec mode)
 */
import { join } from 'node:path';

export class RuntimePaths {
  constructor(readonly root: string) {}

  get runcRoot(): string { return join(this.root, 'runc'); }
  get crunRoot(): string { return join(this.root, 'crun'); }
  get exitDir(): string { return join(this.root, 'exits'); }
  get attachDir(): string { return join(this.root, 'attach'); }
  get sandboxesDir(): string { return join(this.root, 'sandboxes'); }
  get containersDir(): string { return join(this.root, 'containers'); }
  get execDir(): string { return join(this.root, 'exec'); }

  sandboxDir(id: string): string { return join(this.sandboxesDir, id); }
  sandboxRecord(id: string): string { return join(this.sandboxDir(id), 'sandbox.json'); }
  sandboxNs(id: string, ns: 'net' | 'ipc' | 'uts'): string { return join(this.sandboxDir(id), 'ns', ns); }
  sandboxShm(id: string): string { return join(this.sandboxDir(id), 'shm'); }
  sandboxFile(id: string, name: 'hosts' | 'resolv.conf' | 'hostname'): string { return join(this.sandboxDir(id), name); }

  bundle(id: string): string { return join(this.containersDir, id); }
  containerRecord(id: string): string { return join(this.bundle(id), 'container.json'); }
  exitFile(id: string): string { return join(this.exitDir, id); }
  attachLink(id: string): string { return join(this.attachDir, id); }
  execSession(id: string): string { return join(this.execDir, id); }
}
