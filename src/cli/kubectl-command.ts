/**
 * `peapod kubectl ARGS`: runs the kubectl found on PATH with the local server's admin kubeconfig
 * (`--data-dir DIR` before the kubectl args picks another server; KUBECONFIG is respected if set).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { defaultDataDir } from './paths.js';

export async function run(args: string[]): Promise<number> {
  let dataDir = process.env.PEAPOD_DATA_DIR ?? defaultDataDir();
  if (args[0] === '--data-dir' && args[1]) { dataDir = args[1]; args = args.slice(2); }
  else if (args[0]?.startsWith('--data-dir=')) { dataDir = args[0].slice('--data-dir='.length); args = args.slice(1); }
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const res = spawnSync('kubectl', args, { stdio: 'inherit', env: { ...process.env, KUBECONFIG: kubeconfig } });
  if (res.error) {
    process.stderr.write(`peapod: cannot run kubectl: ${res.error.message}\n`);
    return 127;
  }
  return res.status ?? 1;
}
