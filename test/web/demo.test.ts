// The local demo circuit and the landing page over HTTP: seeded only when [demo] enabled, reused across
// restarts, provable with its public secret; GET / as JSON for programs and HTML for browsers.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startRegistry } from 'enigma-registry';
import { ProofClient } from '../../src/client/proof.js';
import { DEMO_HANDLE, DEMO_SECRET } from '../../src/client/demo.js';
import { solveSixzone, type SixzoneChallenge } from '../../src/client/sixzone.js';
import { openStore } from '../../src/storage/index.js';
import { defer } from '../helpers/cleanup.js';
import { call, startTestRegistry, tempDir } from '../helpers/registry.js';
import { ensureWebAssets } from './setup.js';

describe('local demo', () => {
  test('off by default with a config: nothing is seeded and GET / has no demo', async (t) => {
    const reg = await startTestRegistry({}, { t });
    assert.deepEqual((await call(reg.url, 'GET', '/api/circuits')).body.circuits, []);
    const index = await call(reg.url, 'GET', '/', undefined, { accept: 'application/json' });
    assert.equal(index.status, 200);
    assert.equal(index.body.demo, undefined);
    assert.equal(index.body.links.docs, '/docs');
  });

  test('[demo] enabled: "demo" is published, its signature checks out, and its public secret proves', async (t) => {
    const reg = await startTestRegistry({ demo: { enabled: true } }, { t });
    const verify = await call(reg.url, 'GET', `/api/circuits/${DEMO_HANDLE}/verify`);
    assert.equal(verify.status, 200);
    assert.equal(verify.body.signature, 'valid');
    assert.equal(verify.body.revoked, false);
    const proof = new ProofClient({ baseUrl: reg.url, retries: 0 });
    const ch = await proof.challenge(DEMO_HANDLE);
    const { receipt } = await proof.validate(
      DEMO_HANDLE,
      ch,
      solveSixzone(ch.challenge as SixzoneChallenge, DEMO_SECRET),
    );
    assert.equal((await proof.verifyReceipt(receipt, { handle: DEMO_HANDLE, nonce: ch.nonce_uuid })).sub, DEMO_HANDLE);
    // Another secret does not.
    const ch2 = await proof.challenge(DEMO_HANDLE);
    const wrong = await proof
      .validate(DEMO_HANDLE, ch2, solveSixzone(ch2.challenge as SixzoneChallenge, { symbols: 'WRONG999' }))
      .catch((e: unknown) => e);
    assert.equal((wrong as { code?: string }).code, 'PROOF_REJECTED');
  });

  test('a restart reuses the demo build; a revoked demo is replaced by a fresh one', async (t) => {
    const dir = tempDir(t);
    const config = {
      state_dir: dir.path,
      storage: { kind: 'sqlite' as const, path: join(dir.path, 'registry.sqlite3') },
      demo: { enabled: true },
      log: { level: 'silent' as const },
    };
    const first = await startRegistry(config);
    const build1 = (await call(first.url, 'GET', `/api/circuits/${DEMO_HANDLE}`)).body.current;
    await first.close();
    const second = await startRegistry(config);
    const build2 = (await call(second.url, 'GET', `/api/circuits/${DEMO_HANDLE}`)).body.current;
    assert.match(build1.build_id, /^[0-9a-f-]{36}$/);
    assert.equal(build2.build_id, build1.build_id);
    await second.close();
    // Revoked in the store (as `circuit revoke` would) while the registry is down: the next start publishes a new build.
    const store = await openStore(
      { kind: 'sqlite', path: config.storage.path, pool_size: 1, wal_limit_mib: 64, commit_window_ms: 0 },
      {
        presenceMaxEntries: 10,
        artifactDir: join(dir.path, 'artifacts'),
        ledgerMaxEntries: 100,
        auditMaxEntries: 100,
      },
    );
    await store.circuits.revokeSha256(build1.sha256);
    await store.close();
    const fourth = await startRegistry(config);
    defer(t, () => fourth.close());
    const build4 = (await call(fourth.url, 'GET', `/api/circuits/${DEMO_HANDLE}`)).body.current;
    assert.notEqual(build4.build_id, build1.build_id);
    assert.equal((await call(fourth.url, 'GET', `/api/circuits/${DEMO_HANDLE}/verify`)).body.revoked, false);
  });
});

describe('GET /', () => {
  test("browsers get an HTML landing page with the ceremony page's security headers; programs get JSON", async (t) => {
    ensureWebAssets();
    const reg = await startTestRegistry({ demo: { enabled: true } }, { t });
    const html = await fetch(`${reg.url}/`, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type')!, /^text\/html/);
    assert.match(
      html.headers.get('content-security-policy')!,
      /default-src 'none'; script-src 'self'.*frame-ancestors 'none'/,
    );
    assert.equal(html.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(html.headers.get('x-frame-options'), 'DENY');
    assert.equal(html.headers.get('vary'), 'Accept');
    const page = await html.text();
    assert.ok(!page.includes('<script'), 'the landing page carries no script');
    for (const href of ['/docs', '/ceremony/demo', '/api/health', '/README.md'])
      assert.ok(page.includes(`href="${href}"`), href);
    assert.match(page, new RegExp(`>${DEMO_SECRET.symbols}<`));

    const json = await call(reg.url, 'GET', '/');
    assert.deepEqual(json.body.demo, {
      handle: DEMO_HANDLE,
      secret: DEMO_SECRET.symbols,
      ceremony: '/ceremony/demo',
    });
    assert.equal(
      (await call(reg.url, 'GET', '/', undefined, { accept: 'text/html;q=0, application/json' })).body.name,
      'enigma-registry',
    );

    // Every link answers.
    for (const href of Object.values(json.body.links) as string[])
      assert.equal((await fetch(reg.url + href)).status, 200, href);
    const readme = await fetch(`${reg.url}/README.md`);
    assert.match(readme.headers.get('content-type')!, /^text\/markdown/);
    assert.match(await readme.text(), /^# enigma-registry/);
    // The README's quick start names the same secret as the code.
    assert.ok(
      (await (await fetch(`${reg.url}/README.md`)).text()).includes(
        `public secret ${DEMO_SECRET.symbols} (for trying things only)`,
      ),
    );
    // The demo ceremony page names the public secret.
    assert.match(await (await fetch(`${reg.url}/ceremony/demo`)).text(), /Local demo: the secret is DEMO2468/);
  });
});
