// One build for everything `npm start`, `npm test` and `npm run bench` need: TypeScript, the reference
// circuit (AssemblyScript → WASI) and the web assets. Each step is skipped cleanly when its sources are absent.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(label, cmd, args) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  console.log(`build: ${label} ok (${Date.now() - started} ms)`);
}

run('typescript', bin('tsc'), ['-p', 'tsconfig.json']);
for (const step of ['circuits/build.mjs', 'web/build.mjs']) {
  if (existsSync(join(root, step))) run(step, process.execPath, [join(root, step)]);
}
