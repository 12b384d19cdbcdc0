// The README's walk-through, run as written: the block after the `<!-- walkthrough ... -->` marker, line by
// line in one bash, in a fresh directory where `npx enigma-registry` is this package (as in a clone after
// `npm install`). Only the port is changed, to a free one, so that parallel runs cannot collide.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/paths.js';
import { until } from '../helpers/clock.js';
import { tempDir } from '../helpers/registry.js';

const README_PORT = '8460';

/** The shell block that follows the walk-through marker in README.md. */
function walkthroughBlock(readme: string): string {
  const m = /<!-- walkthrough:[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, 'README.md has no walk-through block after its marker');
  return m[1]!;
}

/** Whether any process of the group `pgid` still exists. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('the README walk-through goes from keys to PROOF ACCEPTED with a verified receipt', async () => {
  const block = walkthroughBlock(readFileSync(join(packageRoot, 'README.md'), 'utf8'));
  assert.ok(block.includes(`127.0.0.1:${README_PORT}`));
  const dir = tempDir();
  let child: ChildProcess | undefined;
  try {
    // `npx enigma-registry` resolves to node_modules/.bin first: point it at this build, and never at the network.
    mkdirSync(join(dir.path, 'node_modules', '.bin'), { recursive: true });
    const shim = join(dir.path, 'node_modules', '.bin', 'enigma-registry');
    writeFileSync(
      shim,
      `#!/bin/sh\nexec "${process.execPath}" "${join(packageRoot, 'dist', 'src', 'cli', 'main.js')}" "$@"\n`,
    );
    chmodSync(shim, 0o755);
    writeFileSync(join(dir.path, 'package.json'), '{"name":"walkthrough","private":true}\n');

    const port = String(await freePort());
    // The EXIT trap stops the background registry if a line fails before the block's own `kill`.
    const script = `set -euo pipefail\ntrap 'kill $REGISTRY_PID 2>/dev/null || true' EXIT\n${block.replaceAll(`127.0.0.1:${README_PORT}`, `127.0.0.1:${port}`)}`;
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    // A process group of its own: whatever the block leaves running is stopped with it (see finally).
    child = spawn('bash', ['-c', script], {
      cwd: dir.path,
      detached: true,
      env: { ...env, npm_config_offline: 'true', npm_config_yes: 'false', NO_COLOR: '1' },
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const running = child;
    const code = await new Promise<number | null>((resolve) => running.on('exit', resolve));
    const log = () =>
      `stdout:\n${out}\nstderr:\n${err}\nregistry.log:\n${readFileSync(join(dir.path, 'registry.log'), 'utf8').slice(-3000)}`;
    assert.equal(code, 0, log());
    assert.match(out, /"status":"ok"/, log());
    assert.match(out, /^alice\t[0-9a-f-]{36}\t1\.0\.0\t[0-9a-f]{64}\tok$/m, log());
    assert.match(
      out,
      /^PROOF ACCEPTED\nreceipt: \S+\nreceipt verified against http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json: iss \S+, sub alice,/m,
      log(),
    );
    // The block's own `kill` must stop the registry (it finishes its requests first): nothing of the group stays.
    await until(() => !groupAlive(running.pid!), 'the walk-through left a process running', {
      timeoutMs: 15_000,
      everyMs: 50,
    });
  } finally {
    if (child?.pid && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    dir.remove();
  }
});
