/** Runs a host program to completion and collects its output (runc, mount, unshare, nft, ...). */
import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(readonly argv: string[], readonly result: CommandResult) {
    super(`${argv.join(' ')} exited ${result.code}: ${(result.stderr || result.stdout).trim()}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Reject when the exit code is not 0 (default true). */
  check?: boolean;
  /** Kill the program (SIGKILL) and reject after this long; default 120 s. */
  timeoutMs?: number;
}

export function runCommand(file: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.on('error', () => { /* program exited before reading its input */ });
    child.stdin.end(options.input ?? '');
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, options.timeoutMs ?? 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`${[file, ...args].join(' ')} did not finish within ${options.timeoutMs ?? 120_000} ms`));
        return;
      }
      const result = {
        code: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      };
      if (options.check !== false && result.code !== 0) reject(new CommandError([file, ...args], result));
      else resolve(result);
    });
  });
}
