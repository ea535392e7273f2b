/**
 * Calls to the OCI runtime binary: runc (default) or crun. crun refuses this host's hybrid cgroup
 * layout ("cgroups in hybrid mode not supported") unless the v2 `unified` mount is hidden, so crun
 * runs through a wrapper that unmounts it in a private mount namespace (see MACHINE-NOTES).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, CommandError } from './run-command.js';

export type OciRuntimeKind = 'runc' | 'crun';

export interface OciState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

export class OciBinary {
  /** Path conmon runs and we run. */
  readonly path: string;
  readonly root: string;

  constructor(readonly kind: OciRuntimeKind, stateDir: string, binary?: string) {
    mkdirSync(stateDir, { recursive: true });
    if (kind === 'crun') {
      const crun = binary ?? '/usr/bin/crun';
      this.path = join(stateDir, 'crun-wrapper.sh');
      writeFileSync(this.path,
        '#!/bin/sh\n' +
        `exec unshare --mount --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec ${crun} "$@"' crun "$@"\n`);
      chmodSync(this.path, 0o755);
      this.root = join(stateDir, 'crun');
    } else {
      this.path = binary ?? '/usr/sbin/runc';
      this.root = join(stateDir, 'runc');
    }
    mkdirSync(this.root, { recursive: true });
  }

  /** Arguments conmon passes before the subcommand. */
  get globalArgs(): string[] { return [`--root=${this.root}`]; }

  run(args: string[]) {
    return runCommand(this.path, [...this.globalArgs, ...args]);
  }

  /** State of a container, or undefined when the runtime does not know it. */
  async state(id: string): Promise<OciState | undefined> {
    try {
      const r = await this.run(['state', id]);
      return JSON.parse(r.stdout) as OciState;
    } catch (e) {
      if (e instanceof CommandError && /does not exist|not exist|No such file/i.test(e.result.stderr)) return undefined;
      throw e;
    }
  }

  async start(id: string): Promise<void> { await this.run(['start', id]); }

  /** Sends a signal; `all` signals every process of the container. No error if it already stopped. */
  async kill(id: string, signal: string, all = false): Promise<void> {
    try {
      await this.run(['kill', ...(all ? ['--all'] : []), id, signal]);
    } catch (e) {
      if (e instanceof CommandError && /not running|container not running|process already finished|does not exist|no such process/i.test(e.result.stderr)) return;
      throw e;
    }
  }

  async delete(id: string): Promise<void> {
    try {
      await this.run(['delete', '--force', id]);
    } catch (e) {
      if (e instanceof CommandError && /does not exist|not exist/i.test(e.result.stderr)) return;
      throw e;
    }
  }
}
