// Build: type-check and compile src/ to dist/ with tsc, then run generators and mark the build.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });

// Generators: every scripts/gen-*.mjs runs after compilation (e.g. OpenAPI schemas from kubernetes-types).
for (const f of readdirSync(join(root, 'scripts')).filter((n) => /^gen-.*\.mjs$/.test(n)).sort()) {
  execFileSync(process.execPath, [join(root, 'scripts', f)], { stdio: 'inherit', cwd: root });
}
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', '.built'), new Date().toISOString() + '\n');
