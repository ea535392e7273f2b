import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { homedir } from 'node:os';

/** The repository root (this file is dist/src/cli/paths.js once built). */
export function repoRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** Default data folder: ~/.peapod (root: /var/lib/peapod). */
export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/peapod' : join(homedir(), '.peapod');
}
