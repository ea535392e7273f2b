/**
 * `peapod test`: installs the Debian packages the tests need, then runs every compiled
 * test file (dist/**\/*.test.js) with node's test runner. Extra args are passed to it
 * (e.g. `peapod test dist/src/storage`).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export async function run(args: string[]): Promise<number> {
  const root = repoRoot();
  const deps = spawnSync('bash', [join(root, 'scripts', 'install-system-deps.sh')], { stdio: 'inherit' });
  if (deps.status !== 0) return deps.status ?? 1;
  const targets = args.filter((a) => !a.startsWith('-'));
  const flags = args.filter((a) => a.startsWith('-'));
  const res = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=600000', ...flags, ...(targets.length ? targets : [join(root, 'dist')])], {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, PEAPOD_ROOT: root },
  });
  return res.status ?? 1;
}
