import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, runCli, tempDir } from '../helpers/registry.js';
import { mintSixzone, startPublishingRegistry, type Minted, type TestRegistry } from '../proof/mint.js';

const TOKEN = 'cli-test-token';

describe('enigma-registry circuit publish | list | revoke', () => {
  let reg: TestRegistry;
  const dir = tempDir();
  const tokenFile = join(dir.path, 'admin.token');
  const minted: Minted[] = [];
  /** `circuit COMMAND` against the test registry with an admin token file (the right one unless given). */
  const circuitCli = (command: string, args: string[], token = tokenFile) =>
    runCli(['circuit', command, '--registry', reg.url, '--token-file', token, ...args]);

  before(async () => {
    const started = await startPublishingRegistry({ token: TOKEN });
    reg = started.reg;
    const { recipient, publisher } = started;
    writeFileSync(tokenFile, `${TOKEN}\n`);
    // The layout `circuit mint --out` writes.
    for (const handle of ['alice', 'bob']) {
      const m = mintSixzone({ handle, secret: { symbols: 'ABCD' }, recipient, publisher });
      minted.push(m);
      writeFileSync(join(dir.path, `${handle}.manifest.json`), JSON.stringify(m.manifest, null, 2));
      writeFileSync(join(dir.path, `${handle}.wasm`), m.bytes);
    }
  });
  after(async () => {
    await reg.close();
    dir.remove();
  });

  test('publish uploads a mint directory; list shows it; revoke marks it', async () => {
    const p = await circuitCli('publish', ['--dir', dir.path]);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(
      p.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { sha256: string }).sha256),
      minted.map((m) => m.manifest.sha256),
    );
    const again = await circuitCli('publish', ['--dir', dir.path, '--handle', 'alice']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /409 CONFLICT/);

    const l = await runCli(['circuit', 'list', '--registry', reg.url]);
    assert.equal(l.code, 0, l.stderr);
    assert.deepEqual(
      l.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t')),
      minted.map((m) => [m.manifest.handle, m.manifest.build_id, '1.0.0', m.manifest.sha256, 'ok']),
    );

    const r = await circuitCli('revoke', ['--sha256', minted[1]!.manifest.sha256]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).revoked_builds, 1);
    const lb = await runCli(['circuit', 'list', '--registry', reg.url, '--handle', 'bob', '--json']);
    assert.equal(JSON.parse(lb.stdout).revoked, true);
  });

  test('a wrong token is refused; missing options are a usage error', async () => {
    const bad = join(dir.path, 'bad.token');
    writeFileSync(bad, 'nope');
    const r = await circuitCli('revoke', ['--sha256', minted[0]!.manifest.sha256], bad);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /401 UNAUTHORIZED/);
    assert.equal((await call(reg.url, 'GET', '/api/circuits/alice/verify')).body.revoked, false);
    assert.equal((await runCli(['circuit', 'publish', '--registry', reg.url])).code, 2);
  });
});
