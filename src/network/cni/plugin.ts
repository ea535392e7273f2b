/**
 * Invokes one CNI plugin binary as the CNI spec describes: the network configuration as JSON on
 * stdin, the rest in CNI_* environment variables; the result (ADD) or an error object on stdout.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

export interface CniInvocation {
  pluginDir: string;
  command: CniCommand;
  containerId: string;
  /** Network namespace path; '' when it no longer exists (DEL). */
  netns: string;
  ifName: string;
  config: Record<string, unknown> & { type: string };
}

export interface CniIp { address: string; gateway?: string; interface?: number }
export interface CniResult {
  cniVersion: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: CniIp[];
  routes?: Array<{ dst: string; gw?: string }>;
  dns?: Record<string, unknown>;
}

export class CniError extends Error {
  constructor(readonly plugin: string, readonly command: CniCommand, readonly code: number, readonly detail: string) {
    super(`CNI ${plugin} ${command} failed (${code}): ${detail}`);
    this.name = 'CniError';
  }
}

export function invokePlugin(inv: CniInvocation): Promise<CniResult | undefined> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: inv.command,
      CNI_CONTAINERID: inv.containerId,
      CNI_NETNS: inv.netns,
      CNI_IFNAME: inv.ifName,
      CNI_PATH: inv.pluginDir,
    };
    const child = spawn(join(inv.pluginDir, inv.config.type), [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.end(JSON.stringify(inv.config));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString().trim();
      if (code !== 0) {
        let detail = stdout || Buffer.concat(err).toString().trim();
        try {
          const e = JSON.parse(stdout) as { msg?: string; details?: string };
          detail = [e.msg, e.details].filter(Boolean).join(': ') || detail;
        } catch { /* not JSON */ }
        reject(new CniError(inv.config.type, inv.command, code ?? -1, detail));
        return;
      }
      if (!stdout) { resolve(undefined); return; }
      try { resolve(JSON.parse(stdout) as CniResult); } catch { reject(new CniError(inv.config.type, inv.command, 0, `bad result ${stdout}`)); }
    });
  });
}
