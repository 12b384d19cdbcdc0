// `npm test` on a machine without the system packages: the suites that need them skip, and the run ends with
// one line naming them and the command that installs what they need.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/paths.js';
import { tempDir } from '../helpers/registry.js';

test('with tmux and chromium missing from PATH, their suites skip and the last line says what to run', (t) => {
  // A PATH holding only `node`: every system package looks absent.
  const bin = tempDir(t);
  symlinkSync(process.execPath, join(bin.path, 'node'));
  // NODE_TEST_CONTEXT would make the nested runner report to this one instead of printing.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = spawnSync(
    process.execPath,
    [join(packageRoot, 'scripts', 'test.mjs'), 'test/cli/prove-tmux', 'test/web/landing-browser'],
    {
      cwd: packageRoot,
      env: { ...env, PATH: bin.path },
      encoding: 'utf8',
      timeout: 240_000,
    },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(
    lines.at(-1),
    'test: skipped 2 suite(s) for missing system packages (chromium, tmux): landing page and demo in chromium; prove in a terminal (tmux). Install them with: npm run setup-system',
  );
  assert.equal(lines.filter((l) => l.startsWith('test: skipped')).length, 1);
});
