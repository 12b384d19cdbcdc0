// Runs every compiled test file with node's built-in runner. Optional arguments filter by path substring:
// `node scripts/test.mjs directory ledger` runs only matching files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testRoot = join(root, 'dist', 'test');

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return e.name.endsWith('.test.js') ? [p] : [];
  });
}

const filters = process.argv.slice(2);
const files = walk(testRoot)
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .sort();
if (files.length === 0) {
  console.error('test: no test files matched');
  process.exit(1);
}
// Suites skipped for a missing system package record themselves here (test/helpers/system.ts).
const skipsDir = mkdtempSync(join(tmpdir(), 'enigma-test-skips-'));
const skipsFile = join(skipsDir, 'skips.jsonl');
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ENIGMA_TEST_SKIPS: skipsFile },
});
let recorded = [];
try {
  recorded = readFileSync(skipsFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
} catch {
  // nothing was skipped
}
rmSync(skipsDir, { recursive: true, force: true });
if (recorded.length > 0) {
  // Sorted: files finish in any order.
  const suites = [...new Set(recorded.map((s) => s.suite))].sort();
  const packages = [...new Set(recorded.flatMap((s) => s.missing))].sort();
  console.log(
    `test: skipped ${suites.length} suite(s) for missing system packages (${packages.join(', ')}): ${suites.join('; ')}. Install them with: npm run setup-system`,
  );
}
process.exit(r.status ?? 1);
