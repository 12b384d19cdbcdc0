import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { defer } from '../helpers/cleanup.js';
import { ManualClock } from '../helpers/clock.js';
import { call, runCli, spawnCli, startTestRegistry, tempDir } from '../helpers/registry.js';
import { identityFor, requester, sealTo } from '../helpers/directory-client.js';
import { makePki } from '../helpers/pki.js';

describe('presence', () => {
  test('announced presence is purged by the GC once older than ttl_seconds, refreshed by a new announce', async (t) => {
    // The GC's interval timer is mocked and presence time is a manual clock: each GC run is one tick, awaited.
    t.mock.timers.enable({ apis: ['setInterval'] });
    const clock = new ManualClock();
    const reg = await startTestRegistry(
      { presence: { ttl_seconds: 1, gc_interval_seconds: 1 }, rate_limit: { enabled: false } },
      { t, clock },
    );
    const gc = t.mock.method(reg.ctx.directory, 'gcPresence');
    const count = () => reg.ctx.store.directory.countPresence();
    const runGc = async () => {
      const before = gc.mock.callCount();
      t.mock.timers.tick(1000);
      assert.equal(gc.mock.callCount(), before + 1, 'the GC runs every gc_interval_seconds');
      await gc.mock.calls.at(-1)!.result;
    };
    const a = identityFor('p-a').user_id;
    const b = identityFor('p-b').user_id;
    await call(reg.url, 'POST', '/announce', { user_id: a, addr: 'a:1', ts_ms: 1 });
    await call(reg.url, 'POST', '/announce', { user_id: b, addr: 'b:1', ts_ms: 1 });
    await call(reg.url, 'POST', '/announce', { user_id: a, addr: 'a:2', ts_ms: 2 }); // upsert, not a second row
    assert.equal(await count(), 2);
    clock.advance(800);
    await call(reg.url, 'POST', '/announce', { user_id: b, addr: 'b:2', ts_ms: 3 }); // b refreshed
    clock.advance(200);
    await runGc();
    assert.equal(await count(), 2, 'a, seen exactly ttl_seconds ago, is kept');
    clock.advance(1);
    await runGc();
    assert.equal(await count(), 1, 'a is purged; b, refreshed 801 ms ago, is kept');
    clock.advance(799);
    await runGc();
    assert.equal(await count(), 1, 'b, seen exactly ttl_seconds ago, is kept');
    clock.advance(1);
    await runGc();
    assert.equal(await count(), 0);
  });

  test('the presence table is bounded by presence.max_entries', async (t) => {
    const reg = await startTestRegistry(
      {
        storage: { kind: 'memory' },
        presence: { max_entries: 5 },
        rate_limit: { enabled: false },
      },
      { t },
    );
    for (let i = 0; i < 20; i++)
      await call(reg.url, 'POST', '/announce', { user_id: identityFor(`m${i}`).user_id, addr: 'x', ts_ms: 1 });
    assert.equal(await reg.ctx.store.directory.countPresence(), 5);
  });
});

describe('sync access', () => {
  test('allow_sync = false refuses with 401 unless a configured sync token is presented', async (t) => {
    const token = 'peer-token-123';
    const digest = (await import('node:crypto')).createHash('sha256').update(token).digest('hex');
    const reg = await startTestRegistry(
      {
        allow_sync: false,
        sync: { token_sha256_hex: [digest] },
        rate_limit: { enabled: false },
      },
      { t },
    );
    const body = { identities: [identityFor('synced')] };
    const anon = await call(reg.url, 'POST', '/sync', body);
    assert.equal(anon.status, 401);
    assert.equal(anon.body.error.code, 'UNAUTHORIZED');
    assert.equal((await call(reg.url, 'POST', '/sync', body, { authorization: 'Bearer wrong' })).status, 401);
    const ok = await call(reg.url, 'POST', '/sync', body, { authorization: `Bearer ${token}` });
    assert.deepEqual(ok.body, { merged: 1 });
  });
});

function writeConfig(dir: string, toml: string): string {
  const path = join(dir, 'registry.toml');
  writeFileSync(path, toml);
  return path;
}

const ENVELOPE = `[envelope]
pepper_hex = "${'ab'.repeat(32)}"
keys = [{ kid_hex = "0102030405060708", x25519_private_key_hex = "${'cd'.repeat(32)}", active = true }]
`;

describe('process lifecycle', () => {
  test('identities persist across a restart; SIGTERM stops cleanly; the database reveals no user id', async (t) => {
    const dir = tempDir(t);
    const db = join(dir.path, 'reg.sqlite3');
    const cfg = writeConfig(
      dir.path,
      `address = "127.0.0.1:0"\nstate_dir = "${dir.path}"\n[storage]\nkind = "sled"\npath = "${db}"\n[rate_limit]\nenabled = false\n${ENVELOPE}`,
    );
    const first = await spawnCli(['serve', '--config', cfg]);
    assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const key = (await call(first.url, 'GET', '/envelope_pubkey')).body;
    const alice = identityFor('alice-persist');
    assert.equal(
      (
        await call(first.url, 'POST', '/register', {
          handle: alice.user_id,
          envelope: sealTo(key, 'ab'.repeat(32), alice.user_id, alice),
        })
      ).status,
      200,
    );
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    assert.match(first.stderr(), /stopped cleanly/);
    assert.match(first.stderr(), /sled/, 'the sled alias is noted in the log');
    assert.ok(
      !existsSync(`${db}-wal`) || readFileSync(`${db}-wal`).length === 0,
      'store closed cleanly (WAL checkpointed)',
    );

    const bytes = readFileSync(db);
    assert.equal(bytes.indexOf(Buffer.from(alice.user_id, 'hex')), -1, 'raw user id absent');
    assert.equal(bytes.indexOf(Buffer.from(alice.user_id)), -1, 'hex user id absent');
    assert.equal(bytes.indexOf(Buffer.from('alice-persist')), -1, 'username absent');

    // A bare positional path works as the Rust binary's did.
    const second = await spawnCli([cfg]);
    try {
      assert.deepEqual((await call(second.url, 'GET', `/check_user/${alice.user_id}`)).body, { exists: true });
      const who = requester('ab'.repeat(32));
      const r = await call(second.url, 'POST', '/resolve', {
        handle: alice.user_id,
        requester_ephemeral_pubkey_hex: who.publicHex,
      });
      assert.deepEqual(who.open(alice.user_id, r.body.envelope), alice);
    } finally {
      second.child.kill('SIGINT');
      assert.equal(await second.exited, 0);
    }
  });

  test('with no config: local registry on 127.0.0.1:8443, keys generated under ./data and kept', async (t) => {
    const dir = tempDir(t);
    // The status line is followed by the local demo's notice (where to go, the public secret).
    const first = await spawnCli([], {
      cwd: dir.path,
      waitFor: /listening on \S+\nLOCAL DEMO: .* secret DEMO2468 .*\n {2}open (\S+)\/ in a browser/,
    });
    assert.equal(first.url, 'http://127.0.0.1:8443');
    assert.match(first.stderr(), /generated an envelope key/);
    assert.equal((await call(first.url, 'GET', '/api/circuits/demo')).status, 200);
    const key1 = (await call(first.url, 'GET', '/envelope_pubkey')).body;
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    assert.ok(existsSync(join(dir.path, 'data', 'registry.sqlite3')));
    const second = await spawnCli(['serve'], { cwd: dir.path });
    defer(t, async () => {
      second.child.kill('SIGTERM');
      await second.exited;
    });
    assert.deepEqual((await call(second.url, 'GET', '/envelope_pubkey')).body, key1, 'same key after restart');
  });

  test('bad config files are refused with exit code 1 and the key named', async (t) => {
    const dir = tempDir(t);
    const cases: Array<[string, RegExp]> = [
      [`bogus = 1\n${ENVELOPE}`, /unknown key `bogus`/],
      [`[rate_limit]\nper_ip_rps = 5\nburst_size = 3\n${ENVELOPE}`, /unknown key `rate_limit\.burst_size`/],
      [
        `[envelope]\npepper_hex = "abcd"\nkeys = [{ kid_hex = "0102030405060708", x25519_private_key_hex = "${'cd'.repeat(32)}", active = true }]\n`,
        /pepper_hex must be 32 bytes hex/,
      ],
      [
        `[envelope]\npepper_hex = "${'ab'.repeat(32)}"\nkeys = [{ kid_hex = "01", x25519_private_key_hex = "${'cd'.repeat(32)}", active = true }]\n`,
        /kid_hex must be 8 bytes hex/,
      ],
      [
        `[envelope]\npepper_hex = "${'ab'.repeat(32)}"\nkeys = [{ kid_hex = "0102030405060708", x25519_private_key_hex = "${'cd'.repeat(32)}", active = false }]\n`,
        /at least one key must be active/,
      ],
      [
        `[envelope]\npepper_hex = "${'ab'.repeat(32)}"\nkeys = [{ kid_hex = "0102030405060708", x25519_private_key_hex = "${'cd'.repeat(32)}", active = true }, { kid_hex = "0102030405060708", x25519_private_key_hex = "${'ce'.repeat(32)}", active = false }]\n`,
        /unique/,
      ],
      [`[pow]\ndifficulty = 31\n${ENVELOPE}`, /pow\.difficulty/],
      [
        `allow_sync = false\n[sync]\nallow_anonymous = true\n${ENVELOPE}`,
        /sync\.allow_anonymous = true needs allow_sync = true/,
      ],
      [`mode = "tls"\n${ENVELOPE}`, /\[tls\]/],
      [`address = "nowhere"\n${ENVELOPE}`, /address/],
      [`trusted_proxies = ["not-an-ip"]\n${ENVELOPE}`, /trusted_proxies/],
      [`[storage]\nkind = "mongodb"\n${ENVELOPE}`, /storage\.kind/],
      [`this is not toml`, /not valid TOML/],
    ];
    for (const [toml, expected] of cases) {
      const r = await runCli(['serve', '--config', writeConfig(dir.path, toml)]);
      assert.equal(r.code, 1, toml);
      assert.match(r.stderr, expected, toml);
    }
    const missing = await runCli(['--config', join(dir.path, 'absent.toml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read config file/);
  });

  test('an expired key is a warning at start, not a crash', async (t) => {
    const dir = tempDir(t);
    const cfg = writeConfig(
      dir.path,
      `address = "127.0.0.1:0"\nstate_dir = "${dir.path}"\n[storage]\nkind = "memory"\n[envelope]\npepper_hex = "${'ab'.repeat(32)}"\nkeys = [{ kid_hex = "0102030405060708", x25519_private_key_hex = "${'cd'.repeat(32)}", active = true, not_after_epoch_ms = 1000 }]\n`,
    );
    const r = await spawnCli(['serve', cfg]);
    defer(t, async () => {
      r.child.kill('SIGTERM');
      await r.exited;
    });
    assert.match(r.stderr(), /not_after_epoch_ms/);
    const pk = await call(r.url, 'GET', '/envelope_pubkey');
    assert.equal(pk.status, 500);
    assert.equal(pk.body.error.code, 'INTERNAL');
  });
});

describe('TLS and mTLS', () => {
  function get(
    url: string,
    opts: { ca: Buffer; cert?: Buffer; key?: Buffer },
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${url}/envelope_pubkey`, { ...opts }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('HTTPS serves requests; with client_ca_pem_path a client without a certificate is refused in the handshake', async (t) => {
    const dir = tempDir(t);
    makePki(dir.path);
    const file = (n: string) => join(dir.path, n);
    const ca = readFileSync(file('ca.pem'));
    const tls = await startTestRegistry(
      {
        mode: 'tls',
        tls: { cert_pem_path: file('server.pem'), key_pem_path: file('server.key') },
      },
      { t },
    );
    assert.match(tls.url, /^https:\/\//);
    const r = await get(tls.url, { ca });
    assert.equal(r.status, 200);
    assert.ok(JSON.parse(r.body).kid_hex);
    const mtls = await startTestRegistry(
      {
        mode: 'tls',
        tls: {
          cert_pem_path: file('server.pem'),
          key_pem_path: file('server.key'),
          client_ca_pem_path: file('ca.pem'),
        },
      },
      { t },
    );
    await assert.rejects(get(mtls.url, { ca }), (e: NodeJS.ErrnoException) =>
      /certificate|handshake|socket hang up|ECONNRESET/i.test(`${e.code} ${e.message}`),
    );
    const ok = await get(mtls.url, {
      ca,
      cert: readFileSync(file('client.pem')),
      key: readFileSync(file('client.key')),
    });
    assert.equal(ok.status, 200);
  });
});
